/*
 * Process life cycles for the shim tests.  Every mode first writes 7 bytes
 * to /dev/null (mark()), so its report is recognisable.
 *
 *   forkexec PROG ARGS..   fork; the child execs PROG; the parent waits, exits 3
 *   vfork PROG ARGS..      the same with vfork
 *   vforkfail              vfork; the child's exec fails and it _exits 7; parent exits 0
 *   spawn PROG ARGS..      posix_spawn PROG, wait, exit 0
 *   exec PROG ARGS..       exec PROG (image 0 ends with exec)
 *   execfail               an exec that fails, then exit 0
 *   _exit                  _exit(5)
 *   threadexit             a second thread calls exit(4)
 *   raise SIG              raise(SIG)
 *   sigkill                kill(getpid(), SIGKILL)
 *   segv                   a NULL store
 *   handler                installs a SIGTERM handler (printing what sigaction reported
 *                          before), raises SIGTERM, exits 0
 *   closeall               closes every descriptor, opens /dev/null and writes 7 bytes, exits 0
 *   dup1 FILE              dup2s FILE over fd 1 and printfs 6 bytes
 *   sigmalloc MS           malloc/free in a loop for MS ms while SIGALRM handlers malloc too
 *   threads N K            N threads, each K writes of 8 bytes to /dev/null and K malloc(16)+free
 *   lock MS                a thread holds a mutex for MS ms while main waits for it
 *   deepbind LIB           dlopen(LIB, RTLD_DEEPBIND) and call its deep_alloc()
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void mark(void)
{
	int fd = open("/dev/null", O_WRONLY);

	if (write(fd, "1234567", 7) != 7)
		exit(100);
	close(fd);
}

static void *exit_thread(void *a)
{
	(void)a;
	exit(4);
}

static int threads_k;
static void *worker(void *a)
{
	int fd = open("/dev/null", O_WRONLY);

	(void)a;
	for (int i = 0; i < threads_k; i++) {
		if (write(fd, "abcdefgh", 8) != 8)
			exit(100);
		free(malloc(16));
	}
	close(fd);
	return NULL;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static volatile int held;
static void *holder(void *a)
{
	struct timespec ts = {0, (long)a * 1000000L};

	pthread_mutex_lock(&mu);
	held = 1;
	nanosleep(&ts, NULL);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static volatile sig_atomic_t ticks;
static void on_alarm(int s)
{
	(void)s;
	free(malloc(64));
	ticks++;
}

static void on_term(int s)
{
	(void)s;
	if (write(1, "handled\n", 8) != 8)
		_exit(100);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	int st;

	mark();
	if (!strcmp(m, "forkexec") || !strcmp(m, "vfork")) {
		pid_t pid = !strcmp(m, "vfork") ? vfork() : fork();

		if (pid == 0) {
			execv(argv[2], argv + 2);
			_exit(127);
		}
		waitpid(pid, &st, 0);
		return 3;
	} else if (!strcmp(m, "vforkfail")) {
		pid_t pid = vfork();

		if (pid == 0) {
			execl("/nonexistent/prog", "prog", (char *)NULL);
			_exit(7);
		}
		waitpid(pid, &st, 0);
		return WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : 1;
	} else if (!strcmp(m, "spawn")) {
		pid_t pid;

		if (posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ))
			return 1;
		waitpid(pid, &st, 0);
		return 0;
	} else if (!strcmp(m, "exec")) {
		execv(argv[2], argv + 2);
		return 127;
	} else if (!strcmp(m, "execfail")) {
		execl("/nonexistent/prog", "prog", (char *)NULL);
		return 0;
	} else if (!strcmp(m, "_exit")) {
		_exit(5);
	} else if (!strcmp(m, "threadexit")) {
		pthread_t t;

		pthread_create(&t, NULL, exit_thread, NULL);
		for (;;)
			pause();
	} else if (!strcmp(m, "raise") && argc > 2) {
		raise(atoi(argv[2]));
		return 0;
	} else if (!strcmp(m, "sigkill")) {
		kill(getpid(), SIGKILL);
	} else if (!strcmp(m, "segv")) {
		*(volatile int *)0 = 1;
	} else if (!strcmp(m, "handler")) {
		struct sigaction old, act;

		memset(&act, 0, sizeof(act));
		act.sa_handler = on_term;
		sigaction(SIGTERM, NULL, &old);
		printf("before: %s\n", old.sa_handler == SIG_DFL ? "default" : "other");
		fflush(stdout);
		sigaction(SIGTERM, &act, NULL);
		raise(SIGTERM);
		return 0;
	} else if (!strcmp(m, "closeall")) {
		syscall(SYS_close_range, 0, ~0U, 0);
		closefrom(0);
		mark();
		return 0;
	} else if (!strcmp(m, "dup1") && argc > 2) {
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		close(fd);
		printf("hello\n");
		return 0;
	} else if (!strcmp(m, "sigmalloc") && argc > 2) {
		struct itimerval it = {{0, 200}, {0, 200}};
		double end = now_ms() + atoi(argv[2]);

		signal(SIGALRM, on_alarm);
		setitimer(ITIMER_REAL, &it, NULL);
		while (now_ms() < end)
			free(malloc(32));
		memset(&it, 0, sizeof(it));
		setitimer(ITIMER_REAL, &it, NULL);
		printf("ticks %d\n", ticks > 0);
		return 0;
	} else if (!strcmp(m, "threads") && argc > 3) {
		int n = atoi(argv[2]);
		pthread_t t[64];

		threads_k = atoi(argv[3]);
		for (int i = 0; i < n && i < 64; i++)
			pthread_create(&t[i], NULL, worker, NULL);
		for (int i = 0; i < n && i < 64; i++)
			pthread_join(t[i], NULL);
		return 0;
	} else if (!strcmp(m, "lock") && argc > 2) {
		pthread_t t;

		pthread_create(&t, NULL, holder, (void *)(long)atoi(argv[2]));
		while (!held)
			sched_yield();
		pthread_mutex_lock(&mu);
		pthread_mutex_unlock(&mu);
		pthread_join(t, NULL);
		return 0;
	} else if (!strcmp(m, "deepbind") && argc > 2) {
		void *h = dlopen(argv[2], RTLD_NOW | RTLD_DEEPBIND);
		int (*fn)(int);

		if (!h) {
			fprintf(stderr, "%s\n", dlerror());
			return 1;
		}
		fn = (int (*)(int))dlsym(h, "deep_alloc");
		printf("deep %d\n", fn ? fn(100) : -1);
		dlclose(h);
		return 0;
	}
	fprintf(stderr, "usage: see shim_proc.c\n");
	return 2;
}
