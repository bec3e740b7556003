/*
 * Test helpers; see testlib.h.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

extern char **environ;

const char *tl_build(void)
{
	static char buf[4096];

	if (!buf[0]) {
		const char *b = getenv("PERFPROF_BUILD");

		if (!b || !*b)
			b = "build";
		if (!realpath(b, buf))
			snprintf(buf, sizeof(buf), "%s", b);
	}
	return buf;
}

static char *join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s/%s", a, b) < 0)
		abort();
	return s;
}

char *tl_bpath(const char *rel)
{
	return join(tl_build(), rel);
}

char *tl_prog(const char *name)
{
	char *rel = join("tests/progs", name);
	char *p = tl_bpath(rel);

	free(rel);
	return p;
}

const char *tl_srcdir(void)
{
	static char buf[4096];

	if (!buf[0]) {
		const char *s = getenv("PERFPROF_SRC");

		if (s && *s) {
			snprintf(buf, sizeof(buf), "%s", s);
		} else {
			char *slash;

			snprintf(buf, sizeof(buf), "%s", tl_build());
			slash = strrchr(buf, '/');
			if (slash && slash != buf)
				*slash = 0;
		}
	}
	return buf;
}

char *tl_tmpdir(const char *tag)
{
	const char *t = getenv("TMPDIR");
	char *d;

	if (asprintf(&d, "%s/perfprof-%s.XXXXXX", t && *t ? t : "/tmp", tag ? tag : "t") < 0)
		abort();
	if (!mkdtemp(d))
		cr_assert_fail("mkdtemp %s: %s", d, strerror(errno));
	return d;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

void tl_rm_rf(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tl_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t got;

		if (cap - n < 4097) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

int tl_write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static char **build_env(const char *const env[])
{
	size_t n = 0, m = 0, i, j;
	char **out;

	while (environ[n])
		n++;
	while (env && env[m])
		m++;
	out = calloc(n + m + 1, sizeof(*out));
	if (!out)
		abort();
	for (i = 0, j = 0; i < n; i++) {
		size_t k, keep = 1;

		for (k = 0; k < m; k++) {
			size_t kl = strcspn(env[k], "=");

			if (!strncmp(environ[i], env[k], kl) && environ[i][kl] == '=')
				keep = 0;
		}
		if (keep)
			out[j++] = environ[i];
	}
	for (i = 0; i < m; i++) {
		const char *eq = strchr(env[i], '=');

		if (eq && eq[1])
			out[j++] = (char *)env[i];
	}
	out[j] = NULL;
	return out;
}

static void append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = realloc(*buf, *cap);
		if (!*buf)
			abort();
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int tl_run(struct tl_result *r, const char *const argv[], const char *const env[], const char *cwd,
	   const char *input, int timeout_s)
{
	int outp[2], errp[2], inp[2], status = 0;
	size_t ocap = 0, ecap = 0, in_len = input ? strlen(input) : 0, in_off = 0;
	char **envp = build_env(env);
	long long deadline = now_ms() + (timeout_s > 0 ? timeout_s : 60) * 1000LL;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	if (pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) || pipe2(inp, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		dup2(outp[1], 1);
		dup2(errp[1], 2);
		if (input) {
			dup2(inp[0], 0);
		} else {
			int fd = open("/dev/null", O_RDONLY);

			dup2(fd, 0);
		}
		if (cwd && chdir(cwd) < 0)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		execvpe(argv[0], (char *const *)argv, envp);
		dprintf(2, "tl_run: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	free(envp);
	close(outp[1]);
	close(errp[1]);
	close(inp[0]);
	if (!input || !in_len) {
		close(inp[1]);
		inp[1] = -1;
	} else {
		fcntl(inp[1], F_SETFL, O_NONBLOCK);
	}
	for (int open_fds = 2; open_fds > 0 || inp[1] >= 0;) {
		struct pollfd pf[3] = {{outp[0], POLLIN, 0}, {errp[0], POLLIN, 0}, {inp[1], POLLOUT, 0}};
		long long left = deadline - now_ms();
		char buf[65536];

		if (left <= 0) {
			kill(-pid, SIGKILL);
			r->timed_out = 1;
			break;
		}
		if (open_fds == 0 && inp[1] >= 0) {
			close(inp[1]);
			inp[1] = -1;
			break;
		}
		if (poll(pf, 3, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd >= 0 && pf[i].revents) {
				ssize_t n = read(pf[i].fd, buf, sizeof(buf));

				if (n > 0) {
					if (i == 0)
						append(&r->out, &r->out_len, &ocap, buf, n);
					else
						append(&r->err, &r->err_len, &ecap, buf, n);
				} else if (n == 0 || errno != EINTR) {
					close(pf[i].fd);
					if (i == 0)
						outp[0] = -1;
					else
						errp[0] = -1;
					open_fds--;
				}
			}
		}
		if (inp[1] >= 0 && pf[2].revents) {
			ssize_t n = write(inp[1], input + in_off, in_len - in_off);

			if (n > 0)
				in_off += n;
			if (n < 0 || in_off >= in_len) {
				close(inp[1]);
				inp[1] = -1;
			}
		}
	}
	if (outp[0] >= 0)
		close(outp[0]);
	if (errp[0] >= 0)
		close(errp[0]);
	for (;;) {
		pid_t w = waitpid(pid, &status, r->timed_out ? 0 : WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			break;
		if (w == 0) {
			if (now_ms() > deadline) {
				kill(-pid, SIGKILL);
				r->timed_out = 1;
				continue;
			}
			usleep(2000);
		}
	}
	/* Reap whatever the process group left behind. */
	kill(-pid, SIGKILL);
	if (WIFEXITED(status)) {
		r->exited = 1;
		r->code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		r->signo = WTERMSIG(status);
	}
	return 0;
}

void tl_result_free(struct tl_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

const char *tl_status_str(const struct tl_result *r)
{
	static char buf[32];

	if (r->timed_out)
		return "timeout";
	if (r->exited)
		snprintf(buf, sizeof(buf), "exit %d", r->code);
	else
		snprintf(buf, sizeof(buf), "signal %d", r->signo);
	return buf;
}

cJSON *tl_json_load(const char *path)
{
	size_t len;
	char *s = tl_read_file(path, &len);
	cJSON *j;

	if (!s)
		return NULL;
	j = cJSON_ParseWithLength(s, len);
	free(s);
	return j;
}

cJSON *tl_json_at(const cJSON *root, const char *path)
{
	const cJSON *cur = root;
	char key[256];

	while (cur && *path) {
		size_t n;

		if (*path == '.') {
			path++;
			continue;
		}
		if (*path == '[') {
			int idx = atoi(path + 1);

			cur = cJSON_GetArrayItem(cur, idx);
			path = strchr(path, ']');
			if (!path)
				return NULL;
			path++;
			continue;
		}
		n = strcspn(path, ".[");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = 0;
		cur = cJSON_GetObjectItemCaseSensitive(cur, key);
		path += n;
	}
	return (cJSON *)cur;
}

double tl_json_num(const cJSON *root, const char *path)
{
	cJSON *j = tl_json_at(root, path);

	if (!cJSON_IsNumber(j))
		cr_assert_fail("JSON has no number at %s", path);
	return j->valuedouble;
}

const char *tl_json_str(const cJSON *root, const char *path)
{
	cJSON *j = tl_json_at(root, path);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **tl_glob(const char *dir, const char *pattern, int *count)
{
	DIR *d = opendir(dir);
	char **out = calloc(1, sizeof(*out));
	int n = 0;
	struct dirent *e;

	if (!out)
		abort();
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    fnmatch(pattern, e->d_name, 0))
			continue;
		out = realloc(out, (n + 2) * sizeof(*out));
		if (!out)
			abort();
		out[n++] = join(dir, e->d_name);
		out[n] = NULL;
	}
	if (d)
		closedir(d);
	qsort(out, n, sizeof(*out), cmp_str);
	if (count)
		*count = n;
	return out;
}

int tl_have(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog);
		if (access(buf, X_OK) == 0)
			return 1;
		path += n + (path[n] == ':');
	}
	return 0;
}

int tl_free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &l))
		cr_assert_fail("tl_free_port: %s", strerror(errno));
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/*
 * Test processes leak by design (each test runs in its own process); leak
 * checking in a sanitizer build is for the tools they run, not for them.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
