/* Helpers every test suite may use: see unit.h. */
#include "unit/unit.h"

#include <sys/wait.h>
#include <unistd.h>

TCase *
t_tcase(const char *name, int timeout, const TTest *const *tests)
{
	TCase *tc = tcase_create(name);

	if (timeout > 0)
		tcase_set_timeout(tc, timeout);
	while (*tests != NULL)
		tcase_add_test(tc, *tests++);
	return tc;
}

Suite *
t_suite(const char *name, int timeout, const TTest *const *tests)
{
	Suite *s = suite_create(name);

	suite_add_tcase(s, t_tcase(name, timeout, tests));
	return s;
}

/* In the child: run it, hand its count back through fd, exit. */
static void
fork_child(int fd, long (*child)(void *arg), void *arg)
{
	long n = child(arg);

	if (n < 0)
		_exit((int)-n);
	if (write(fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		_exit(125);
	_exit(0);
}

long
t_fork_sum(int n, long (*child)(void *arg), void *arg)
{
	pid_t pids[16];
	int fds[2], i, st;
	long total = 0, got;

	if (n > 16)
		ck_abort_msg("t_fork_sum: %d children, at most 16", n);
	ck_assert_int_eq(pipe(fds), 0);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			close(fds[0]);
			fork_child(fds[1], child, arg);
		}
	}
	close(fds[1]);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(read(fds[0], &got, sizeof(got)), (ssize_t)sizeof(got));
		total += got;
	}
	close(fds[0]);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "child %d exited %d", i, WEXITSTATUS(st));
	}
	return total;
}
