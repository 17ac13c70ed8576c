'use strict';
/*
 * A tiny SMTP sink for tests: accepts every message and stores it as a
 * file in SMTP_SINK_DIR (one .eml per message, named by arrival order).
 * Plain Node, no dependencies. Listens on 127.0.0.1:SMTP_SINK_PORT (2525).
 *
 *   SMTP_SINK_PORT=2525 SMTP_SINK_DIR=/tmp/mail node tests/smtp-sink/server.js
 *
 * Speaks just enough SMTP for libcurl: EHLO/HELO, MAIL FROM, RCPT TO,
 * DATA (dot-unstuffed), RSET, NOOP, QUIT. Each stored file starts with
 * "X-Sink-From:" and "X-Sink-To:" lines, then the message as received.
 */
const net = require('node:net');
const fs = require('node:fs');
const path = require('node:path');

const port = Number(process.env.SMTP_SINK_PORT || 2525);
const dir = process.env.SMTP_SINK_DIR || path.join(process.cwd(), 'mail');
const MAX = 1 << 20;
fs.mkdirSync(dir, { recursive: true });
let seq = 0;

const server = net.createServer((sock) => {
  let buf = '';
  let inData = false;
  let from = '';
  let to = [];
  let data = [];
  let size = 0;
  const reply = (s) => sock.write(`${s}\r\n`);
  reply('220 orgbill-smtp-sink ready');
  sock.setEncoding('utf8');
  sock.on('data', (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (inData) {
        if (line === '.') {
          inData = false;
          const name = `${Date.now()}-${process.pid}-${String(++seq).padStart(5, '0')}.eml`;
          const text = `X-Sink-From: ${from}\r\nX-Sink-To: ${to.join(', ')}\r\n${data.join('\r\n')}\r\n`;
          fs.writeFileSync(path.join(dir, `${name}.tmp`), text);
          fs.renameSync(path.join(dir, `${name}.tmp`), path.join(dir, name));
          data = [];
          size = 0;
          reply('250 OK stored');
        } else {
          size += line.length + 2;
          if (size <= MAX) data.push(line.startsWith('..') ? line.slice(1) : line);
        }
        continue;
      }
      const cmd = line.slice(0, 4).toUpperCase();
      if (cmd === 'EHLO') { sock.write('250-orgbill-smtp-sink\r\n250-SIZE 1048576\r\n250 8BITMIME\r\n'); }
      else if (cmd === 'HELO') reply('250 orgbill-smtp-sink');
      else if (cmd === 'MAIL') { from = line.replace(/^MAIL FROM:\s*/i, '').replace(/\s.*$/, ''); to = []; reply('250 OK'); }
      else if (cmd === 'RCPT') { to.push(line.replace(/^RCPT TO:\s*/i, '').replace(/\s.*$/, '')); reply('250 OK'); }
      else if (cmd === 'DATA') { if (!to.length) reply('503 need RCPT'); else { inData = true; reply('354 end with <CRLF>.<CRLF>'); } }
      else if (cmd === 'RSET') { from = ''; to = []; data = []; reply('250 OK'); }
      else if (cmd === 'NOOP') reply('250 OK');
      else if (cmd === 'QUIT') { reply('221 bye'); sock.end(); }
      else reply('502 not implemented');
    }
  });
  sock.on('error', () => {});
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`smtp-sink listening on 127.0.0.1:${port}, storing in ${dir}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
