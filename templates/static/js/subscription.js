/*
 * Subscription and seats pages: progressive enhancement only — every form
 * works without this file (the "Review change" button posts the form).
 *  - monthly/annual switch shows one price per plan card;
 *  - the seat stepper fetches the proration preview as you change seats;
 *  - a CSV file chosen in the file input is read into the textarea.
 */
(function () {
  'use strict';

  // Money arrives formatted by the server (base/money.h): *_text fields;
  // counts go through the console's formatter (app.js).
  var count = window.obFormat ? window.obFormat.count : String;
  function text(tag, s, cls) {
    var e = document.createElement(tag);
    e.textContent = s;
    if (cls) e.className = cls;
    return e;
  }

  var sw = document.getElementById('cycle-switch');
  if (sw) {
    var apply = function () {
      var v = sw.querySelector('input:checked');
      document.body.classList.toggle('show-year', !!v && v.value === 'year');
    };
    sw.addEventListener('change', apply);
    apply();
  }

  var form = document.getElementById('seat-form');
  var input = document.getElementById('seats-input');
  var out = document.getElementById('preview');
  if (form && input && out) {
    var timer = null;
    var csrf = form.querySelector('input[name=csrf]').value;
    var idem = form.querySelector('input[name=idem]').value;
    var hidden = function (f, name, value) {
      var i = document.createElement('input');
      i.type = 'hidden';
      i.name = name;
      i.value = value;
      f.appendChild(i);
    };
    // The same confirm step the server renders (partials/subscription_confirm).
    var render = function (p) {
      out.textContent = '';
      var box = document.createElement('div');
      box.className = 'confirm-change';
      box.id = 'confirm-change';
      box.setAttribute('role', 'group');
      var h = text('h3', count(p.seats) + ' seats on ' + p.plan_name + ' (' + (p.cycle === 'year' ? 'annual' : 'monthly') + ')');
      h.id = 'confirm-h';
      box.setAttribute('aria-labelledby', 'confirm-h');
      box.appendChild(h);
      var outcome;
      if (p.effective !== 'now') {
        outcome = text('p', 'Takes effect at the end of the current period; nothing is charged now.');
      } else {
        var t = document.createElement('table');
        t.className = 'data';
        t.id = 'preview-lines';
        var head = document.createElement('tr');
        [['Line', ''], ['Seats', 'num'], ['Amount', 'num']].forEach(function (c) {
          var th = text('th', c[0], c[1]);
          th.scope = 'col';
          head.appendChild(th);
        });
        t.appendChild(head);
        p.lines.forEach(function (l) {
          var tr = document.createElement('tr');
          tr.appendChild(text('td', l.description + ' (' + l.plan_name + ')'));
          tr.appendChild(text('td', count(l.quantity), 'num'));
          tr.appendChild(text('td', l.amount_text, 'num'));
          t.appendChild(tr);
        });
        var f = document.createElement('tr');
        var th = text('th', p.credit_text ? 'Credit to your balance now' : 'Charged now (Stripe, to the second)');
        th.scope = 'row';
        th.colSpan = 2;
        f.appendChild(th);
        var tot = text('td', p.total_text, 'num');
        tot.id = 'preview-total';
        f.appendChild(tot);
        t.appendChild(f);
        box.appendChild(t);
        outcome = text('p', p.credit_text ? 'Takes effect now, with a credit of ' + p.credit_text +
          ' to your balance: Stripe takes it off your next invoices.' : p.charge_text ?
          'Takes effect now: ' + p.charge_text + ' is charged now for the rest of this period.' :
          'Takes effect now; nothing is charged now.');
      }
      outcome.id = 'preview-outcome';
      box.appendChild(outcome);
      if (p.effective === 'now')
        box.appendChild(text('p', 'Check it by hand: ' + p.plain.days_remaining + ' days remaining ÷ ' +
          p.plain.days_in_period + ' days in period × seat price × seats = ' + p.plain.total_text +
          ' (whole days; the charge counts seconds).', 'muted'));
      box.appendChild(text('p', 'Then ' + p.next_text + ' per ' + (p.cycle === 'year' ? 'year' : 'month') +
        ' for ' + count(p.seats) + ' seats.'));
      var go = document.createElement('form');
      go.method = 'post';
      go.action = '/subscription/change';
      go.className = 'confirm-form';
      hidden(go, 'csrf', csrf);
      hidden(go, 'idem', idem);
      hidden(go, 'plan', p.plan);
      hidden(go, 'cycle', p.cycle);
      hidden(go, 'seats', String(p.seats));
      var b = text('button', 'Confirm: ' + count(p.seats) + ' seats');
      b.type = 'submit';
      b.id = 'confirm-btn';
      go.appendChild(b);
      box.appendChild(go);
      out.appendChild(box);
    };
    var preview = function () {
      var org = input.getAttribute('data-org');
      fetch('/api/v1/org-billing/subscriptions/' + encodeURIComponent(org) + '/preview', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ seats: Number(input.value) })
      }).then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
        .then(function (rj) {
          if (rj[0]) render(rj[1]);
          else { out.textContent = ''; out.appendChild(text('p', rj[1].error.message, 'flash flash-error')); }
        })
        .catch(function () { /* the Preview button still works */ });
    };
    var later = function () { clearTimeout(timer); timer = setTimeout(preview, 250); };
    input.addEventListener('input', later);
    Array.prototype.forEach.call(form.querySelectorAll('button[data-step]'), function (b) {
      b.addEventListener('click', function () {
        var v = Number(input.value) + Number(b.getAttribute('data-step'));
        if (v >= 1) { input.value = String(v); later(); }
      });
    });
  }

  var file = document.getElementById('csv-file');
  var area = document.getElementById('csv');
  if (file && area && window.FileReader) {
    file.addEventListener('change', function () {
      var f = file.files && file.files[0];
      if (!f || f.size > 256 * 1024) return;
      var rd = new FileReader();
      rd.onload = function () { area.value = String(rd.result); };
      rd.readAsText(f);
    });
  }
})();
