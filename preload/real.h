/*
 * The real functions behind the shim's hooks, resolved all at once with
 * dlsym(RTLD_NEXT) on the first call into the shim (real.c).  While dlsym
 * runs, the allocations it makes are served from a small static pool that
 * free() and realloc() recognise.
 *
 * Each entry: return type, name, parameter list.  A function the C library
 * does not have (an old glibc without _Fork, say) stays NULL; its hook then
 * fails with ENOSYS, which no program linked against that library can see.
 */
#ifndef PERFSHIM_REAL_H
#define PERFSHIM_REAL_H

#include <dirent.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#define SHIM_REAL_FUNCS(X)                                                                         \
	X(void *, malloc, (size_t))                                                                \
	X(void, free, (void *))                                                                    \
	X(void *, calloc, (size_t, size_t))                                                        \
	X(void *, realloc, (void *, size_t))                                                       \
	X(void *, reallocarray, (void *, size_t, size_t))                                          \
	X(int, posix_memalign, (void **, size_t, size_t))                                          \
	X(void *, aligned_alloc, (size_t, size_t))                                                 \
	X(void *, memalign, (size_t, size_t))                                                      \
	X(void *, valloc, (size_t))                                                                \
	X(void *, pvalloc, (size_t))                                                               \
	X(size_t, malloc_usable_size, (void *))                                                    \
	X(ssize_t, read, (int, void *, size_t))                                                    \
	X(ssize_t, write, (int, const void *, size_t))                                             \
	X(ssize_t, pread, (int, void *, size_t, off_t))                                            \
	X(ssize_t, pread64, (int, void *, size_t, off_t))                                          \
	X(ssize_t, pwrite, (int, const void *, size_t, off_t))                                     \
	X(ssize_t, pwrite64, (int, const void *, size_t, off_t))                                   \
	X(ssize_t, readv, (int, const struct iovec *, int))                                        \
	X(ssize_t, writev, (int, const struct iovec *, int))                                       \
	X(ssize_t, preadv, (int, const struct iovec *, int, off_t))                                \
	X(ssize_t, preadv64, (int, const struct iovec *, int, off_t))                              \
	X(ssize_t, pwritev, (int, const struct iovec *, int, off_t))                               \
	X(ssize_t, pwritev64, (int, const struct iovec *, int, off_t))                             \
	X(ssize_t, preadv2, (int, const struct iovec *, int, off_t, int))                          \
	X(ssize_t, preadv64v2, (int, const struct iovec *, int, off_t, int))                       \
	X(ssize_t, pwritev2, (int, const struct iovec *, int, off_t, int))                         \
	X(ssize_t, pwritev64v2, (int, const struct iovec *, int, off_t, int))                      \
	X(ssize_t, __read_chk, (int, void *, size_t, size_t))                                      \
	X(ssize_t, __pread_chk, (int, void *, size_t, off_t, size_t))                              \
	X(ssize_t, __pread64_chk, (int, void *, size_t, off_t, size_t))                            \
	X(ssize_t, send, (int, const void *, size_t, int))                                         \
	X(ssize_t, sendto, (int, const void *, size_t, int, const struct sockaddr *, socklen_t))   \
	X(ssize_t, sendmsg, (int, const struct msghdr *, int))                                     \
	X(int, sendmmsg, (int, struct mmsghdr *, unsigned int, int))                               \
	X(ssize_t, recv, (int, void *, size_t, int))                                               \
	X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *))           \
	X(ssize_t, recvmsg, (int, struct msghdr *, int))                                           \
	X(int, recvmmsg, (int, struct mmsghdr *, unsigned int, int, struct timespec *))            \
	X(ssize_t, __recv_chk, (int, void *, size_t, size_t, int))                                 \
	X(ssize_t, __recvfrom_chk,                                                                 \
	  (int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *))                      \
	X(ssize_t, sendfile, (int, int, off_t *, size_t))                                          \
	X(ssize_t, sendfile64, (int, int, off_t *, size_t))                                        \
	X(ssize_t, copy_file_range, (int, off_t *, int, off_t *, size_t, unsigned int))            \
	X(ssize_t, splice, (int, off_t *, int, off_t *, size_t, unsigned int))                     \
	X(int, poll, (struct pollfd *, nfds_t, int))                                               \
	X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))        \
	X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *))                      \
	X(int, pselect,                                                                            \
	  (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *))          \
	X(int, epoll_wait, (int, struct epoll_event *, int, int))                                  \
	X(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *))               \
	X(int, open, (const char *, int, ...))                                                     \
	X(int, open64, (const char *, int, ...))                                                   \
	X(int, openat, (int, const char *, int, ...))                                              \
	X(int, openat64, (int, const char *, int, ...))                                            \
	X(int, __open_2, (const char *, int))                                                      \
	X(int, __open64_2, (const char *, int))                                                    \
	X(int, __openat_2, (int, const char *, int))                                               \
	X(int, __openat64_2, (int, const char *, int))                                             \
	X(int, creat, (const char *, mode_t))                                                      \
	X(int, creat64, (const char *, mode_t))                                                    \
	X(FILE *, fopen, (const char *, const char *))                                             \
	X(FILE *, fopen64, (const char *, const char *))                                           \
	X(FILE *, freopen, (const char *, const char *, FILE *))                                   \
	X(FILE *, freopen64, (const char *, const char *, FILE *))                                 \
	X(FILE *, fdopen, (int, const char *))                                                     \
	X(FILE *, tmpfile, (void))                                                                 \
	X(FILE *, tmpfile64, (void))                                                               \
	X(FILE *, popen, (const char *, const char *))                                             \
	X(int, pclose, (FILE *))                                                                   \
	X(int, fclose, (FILE *))                                                                   \
	X(int, fcloseall, (void))                                                                  \
	X(int, mkstemp, (char *))                                                                  \
	X(int, mkstemp64, (char *))                                                                \
	X(int, mkostemp, (char *, int))                                                            \
	X(int, mkostemp64, (char *, int))                                                          \
	X(int, mkstemps, (char *, int))                                                            \
	X(int, mkostemps, (char *, int, int))                                                      \
	X(DIR *, opendir, (const char *))                                                          \
	X(int, closedir, (DIR *))                                                                  \
	X(int, close, (int))                                                                       \
	X(int, close_range, (unsigned int, unsigned int, int))                                     \
	X(void, closefrom, (int))                                                                  \
	X(int, dup, (int))                                                                         \
	X(int, dup2, (int, int))                                                                   \
	X(int, dup3, (int, int, int))                                                              \
	X(int, fcntl, (int, int, ...))                                                             \
	X(int, fcntl64, (int, int, ...))                                                           \
	X(int, pipe, (int *))                                                                      \
	X(int, pipe2, (int *, int))                                                                \
	X(int, socket, (int, int, int))                                                            \
	X(int, socketpair, (int, int, int, int *))                                                 \
	X(int, connect, (int, const struct sockaddr *, socklen_t))                                 \
	X(int, accept, (int, struct sockaddr *, socklen_t *))                                      \
	X(int, accept4, (int, struct sockaddr *, socklen_t *, int))                                \
	X(int, listen, (int, int))                                                                 \
	X(int, getsockopt, (int, int, int, void *, socklen_t *))                                   \
	X(int, getaddrinfo,                                                                        \
	  (const char *, const char *, const struct addrinfo *, struct addrinfo **))               \
	X(struct hostent *, gethostbyname, (const char *))                                         \
	X(struct hostent *, gethostbyname2, (const char *, int))                                   \
	X(int, gethostbyname_r,                                                                    \
	  (const char *, struct hostent *, char *, size_t, struct hostent **, int *))              \
	X(int, chdir, (const char *))                                                              \
	X(int, fchdir, (int))                                                                      \
	X(size_t, fwrite, (const void *, size_t, size_t, FILE *))                                  \
	X(size_t, fwrite_unlocked, (const void *, size_t, size_t, FILE *))                         \
	X(size_t, fread, (void *, size_t, size_t, FILE *))                                         \
	X(size_t, fread_unlocked, (void *, size_t, size_t, FILE *))                                \
	X(size_t, __fread_chk, (void *, size_t, size_t, size_t, FILE *))                           \
	X(size_t, __fread_unlocked_chk, (void *, size_t, size_t, size_t, FILE *))                  \
	X(int, fputs, (const char *, FILE *))                                                      \
	X(int, fputs_unlocked, (const char *, FILE *))                                             \
	X(int, puts, (const char *))                                                               \
	X(int, fputc, (int, FILE *))                                                               \
	X(int, putc, (int, FILE *))                                                                \
	X(int, _IO_putc, (int, FILE *))                                                            \
	X(int, putchar, (int))                                                                     \
	X(int, fputc_unlocked, (int, FILE *))                                                      \
	X(int, putc_unlocked, (int, FILE *))                                                       \
	X(int, putchar_unlocked, (int))                                                            \
	X(int, fgetc, (FILE *))                                                                    \
	X(int, getc, (FILE *))                                                                     \
	X(int, _IO_getc, (FILE *))                                                                 \
	X(int, getchar, (void))                                                                    \
	X(int, fgetc_unlocked, (FILE *))                                                           \
	X(int, getc_unlocked, (FILE *))                                                            \
	X(int, getchar_unlocked, (void))                                                           \
	X(int, ungetc, (int, FILE *))                                                              \
	X(char *, fgets, (char *, int, FILE *))                                                    \
	X(char *, fgets_unlocked, (char *, int, FILE *))                                           \
	X(char *, __fgets_chk, (char *, size_t, int, FILE *))                                      \
	X(char *, __fgets_unlocked_chk, (char *, size_t, int, FILE *))                             \
	X(ssize_t, getline, (char **, size_t *, FILE *))                                           \
	X(ssize_t, getdelim, (char **, size_t *, int, FILE *))                                     \
	X(ssize_t, __getdelim, (char **, size_t *, int, FILE *))                                   \
	X(int, vprintf, (const char *, va_list))                                                   \
	X(int, vfprintf, (FILE *, const char *, va_list))                                          \
	X(int, vdprintf, (int, const char *, va_list))                                             \
	X(int, __vprintf_chk, (int, const char *, va_list))                                        \
	X(int, __vfprintf_chk, (FILE *, int, const char *, va_list))                               \
	X(int, __vdprintf_chk, (int, int, const char *, va_list))                                  \
	X(int, __isoc99_vfscanf, (FILE *, const char *, va_list))                                  \
	X(int, vfscanf, (FILE *, const char *, va_list))                                           \
	X(int, __uflow, (FILE *))                                                                  \
	X(int, __overflow, (FILE *, int))                                                          \
	X(void, perror, (const char *))                                                            \
	X(int, fflush, (FILE *))                                                                   \
	X(int, fseek, (FILE *, long, int))                                                         \
	X(int, fseeko, (FILE *, off_t, int))                                                       \
	X(int, fseeko64, (FILE *, off_t, int))                                                     \
	X(int, fsetpos, (FILE *, const fpos_t *))                                                  \
	X(int, fsetpos64, (FILE *, const fpos_t *))                                                \
	X(void, rewind, (FILE *))                                                                  \
	X(pid_t, fork, (void))                                                                     \
	X(pid_t, _Fork, (void))                                                                    \
	X(int, daemon, (int, int))                                                                 \
	X(int, execve, (const char *, char *const[], char *const[]))                               \
	X(int, execv, (const char *, char *const[]))                                               \
	X(int, execvp, (const char *, char *const[]))                                              \
	X(int, execvpe, (const char *, char *const[], char *const[]))                              \
	X(int, fexecve, (int, char *const[], char *const[]))                                       \
	X(int, execveat, (int, const char *, char *const[], char *const[], int))                   \
	X(void, _exit, (int))                                                                      \
	X(void, _Exit, (int))                                                                      \
	X(void, quick_exit, (int))                                                                 \
	X(int, sigaction, (int, const struct sigaction *, struct sigaction *))                     \
	X(sighandler_t, signal, (int, sighandler_t))                                               \
	X(sighandler_t, sysv_signal, (int, sighandler_t))                                          \
	X(sighandler_t, bsd_signal, (int, sighandler_t))                                           \
	X(sighandler_t, sigset, (int, sighandler_t))                                               \
	X(int, sigignore, (int))                                                                   \
	X(void, longjmp, (struct __jmp_buf_tag *, int))                                            \
	X(void, _longjmp, (struct __jmp_buf_tag *, int))                                           \
	X(void, siglongjmp, (struct __jmp_buf_tag *, int))                                         \
	X(void, __longjmp_chk, (struct __jmp_buf_tag *, int))                                      \
	X(int, pthread_mutex_lock, (pthread_mutex_t *))                                            \
	X(int, pthread_mutex_trylock, (pthread_mutex_t *))                                         \
	X(int, pthread_rwlock_rdlock, (pthread_rwlock_t *))                                        \
	X(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *))                                     \
	X(int, pthread_rwlock_wrlock, (pthread_rwlock_t *))                                        \
	X(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *))                                     \
	X(int, pthread_spin_lock, (pthread_spinlock_t *))                                          \
	X(int, pthread_spin_trylock, (pthread_spinlock_t *))

#define X(ret, name, args) extern ret(*real_##name) args;
SHIM_REAL_FUNCS(X)
#undef X

/* Resolves every real function; safe to call repeatedly and from any thread. */
void shim_resolve(void);
extern int shim_resolved;

/* The bootstrap pool for dlsym's own allocations. */
#define SHIM_BOOT_POOL 65536
extern char shim_boot_pool[SHIM_BOOT_POOL];
void *shim_boot_alloc(size_t size, int zero);
size_t shim_boot_size(const void *p);
static inline int shim_is_boot(const void *p)
{
	return (const char *)p >= shim_boot_pool && (const char *)p < shim_boot_pool + SHIM_BOOT_POOL;
}

#define ENSURE_REAL()                                                                              \
	do {                                                                                       \
		if (__builtin_expect(!shim_resolved, 0))                                           \
			shim_resolve();                                                            \
	} while (0)

#endif
