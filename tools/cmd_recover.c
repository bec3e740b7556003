/*
 * perfprof recover DIR: turn the counter files that killed or crashed
 * processes left in DIR (perfshim.<pid>.<n>.shm) into their JSON reports,
 * with end_reason "recovered", and remove them.
 *
 * A counter file still mapped by a live process is left alone; one whose
 * JSON report already exists (the image exec'd and its successor was not
 * profiled) is stale and removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "cmds.h"
#include "error.h"
#include "layout.h"
#include "report.h"

static int fd_sink(void *ctx, const char *p, size_t n)
{
	int fd = *(int *)ctx;

	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* 1 if a live process has `path` mapped. */
static int mapped_by(pid_t pid, const char *path)
{
	char maps[64], line[4608];
	FILE *f;
	int found = 0;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, path) != NULL;
	fclose(f);
	return found;
}

static void read_boot_id(char *buf, size_t cap)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, (int)cap, f))
			buf[0] = 0;
		fclose(f);
	}
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Returns 1 recovered, 0 skipped, -1 error (message printed). */
static int recover_one(int dfd, const char *dir, const char *name)
{
	char json[512], tmp[600], full[4096 + 512], boot[64];
	struct report_end e;
	struct shm_header *h;
	struct stat st;
	unsigned pid, image;
	char buf[65536];
	int fd, out, ret = -1, rc;

	if (sscanf(name, "perfshim.%u.%u.shm", &pid, &image) != 2)
		return 0;
	snprintf(json, sizeof(json), "perfshim.%u.%u.json", pid, image);
	snprintf(full, sizeof(full), "%s/%s", dir, name);
	if (faccessat(dfd, json, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		unlinkat(dfd, name, 0);
		return 0;
	}
	if (mapped_by((pid_t)pid, full)) {
		error_msg("recover: %s: process %u is still running; skipped", name, pid);
		return 0;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror_msg("recover: %s", name);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if ((size_t)st.st_size < sizeof(*h)) {
		error_msg("recover: %s: truncated counter file (%lld bytes)", name,
			  (long long)st.st_size);
		close(fd);
		return -1;
	}
	/* A private, writable view: the end fields are filled in without touching the file. */
	h = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (h == MAP_FAILED) {
		perror_msg("recover: %s: mmap", name);
		return -1;
	}
	rc = report_check_header(h, (uint64_t)st.st_size);
	if (rc < 0) {
		error_msg("recover: %s: %s", name,
			  rc == -EPROTO ? "counter file of another shim version"
					: "not a perfshim counter file");
		goto out;
	}
	memset(&e, 0, sizeof(e));
	read_boot_id(boot, sizeof(boot));
	if (strncmp(boot, h->boot_id, 36) != 0) {
		/* The TSC restarted with the machine: ticks cannot be converted. */
		e.no_clock = h->clock == CLOCK_KIND_TSC;
	} else {
		e.ratio_tick = h->clock == CLOCK_KIND_TSC ? __rdtsc() : mono_now();
		e.ratio_mono_ns = mono_now();
	}
	snprintf(e.kernel_error, sizeof(e.kernel_error),
		 "process ended before the shim could read it");
	h->end_reason = END_RECOVERED;
	h->end_tick = 0;
	snprintf(tmp, sizeof(tmp), ".%s.tmp", json);
	/* The process is gone: a temporary report of its own is what a kill cut short. */
	unlinkat(dfd, tmp, 0);
	out = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		perror_msg("recover: %s/%s", dir, tmp);
		goto out;
	}
	rc = report_write(h, &e, buf, sizeof(buf), fd_sink, &out);
	if (close(out) < 0 && !rc)
		rc = -errno;
	if (rc < 0) {
		errno = -rc;
		perror_msg("recover: writing %s/%s", dir, json);
		unlinkat(dfd, tmp, 0);
		goto out;
	}
	if ((rc = report_rename_noreplace(dfd, tmp, dfd, json)) < 0) {
		errno = -rc;
		perror_msg("recover: %s/%s", dir, json);
		unlinkat(dfd, tmp, 0);
		goto out;
	}
	unlinkat(dfd, name, 0);
	ret = 1;
out:
	munmap(h, (size_t)st.st_size);
	return ret;
}

int cmd_recover(int argc, char **argv)
{
	int recovered = 0, failed = 0, dfd;
	struct dirent *d;
	DIR *dir;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: perfprof recover DIR\n");
		return EXIT_USAGE;
	}
	dir = opendir(argv[1]);
	if (!dir) {
		perror_msg("recover: %s", argv[1]);
		return EXIT_ERROR;
	}
	dfd = dirfd(dir);
	while ((d = readdir(dir))) {
		int r;

		if (strncmp(d->d_name, "perfshim.", 9) || !strstr(d->d_name, ".shm"))
			continue;
		r = recover_one(dfd, argv[1], d->d_name);
		if (r > 0)
			recovered++;
		else if (r < 0)
			failed++;
	}
	closedir(dir);
	printf("recovered %d report%s in %s%s\n", recovered, recovered == 1 ? "" : "s", argv[1],
	       failed ? " (some files could not be read; see above)" : "");
	return failed ? EXIT_ERROR : 0;
}
