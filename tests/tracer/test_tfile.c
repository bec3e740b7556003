/*
 * The sample file's writer and reader (tracer/tfile.c): round trips, and what
 * the reader does with files cut short, damaged, foreign or from the future.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"
#include "tfile.h"

static struct tf_header header(void)
{
	struct tf_header h = {.version = TF_VERSION, .header_size = TF_HEADER_SIZE, .hz = 99};

	memcpy(h.magic, TF_MAGIC, 8);
	h.endian = 0x01020304;
	return h;
}

/* Writes a header, a thread, a wait and a sample with 3 frames; returns the bytes. */
static char *write_sample_file(size_t *len)
{
	char *dir = tl_tmpdir("tfile"), *path;
	struct tf_header h = header();
	struct tf_writer w;
	struct tf_thread th = {.tid = 42, .pid = 41, .time_ns = 7};
	struct tf_wait wt = {.id = 1, .state = TS_IO_NET};
	struct tf_sample s = {.tid = 42,
			      .time_ns = 1000,
			      .state = TS_IO_NET,
			      .nframes = 3,
			      .syscall = 0,
			      .wait_id = 1};
	uint64_t pcs[3] = {0x401000, 0x401234, 0x7f0000001000};
	char *data;
	int fd;

	cr_assert(asprintf(&path, "%s/f.ptrace", dir) > 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(tf_open(&w, fd, &h), 0);
	tf_begin(&w, TF_THREAD, &th, sizeof(th));
	tf_put_str(&w, "worker");
	tf_end_rec(&w);
	tf_begin(&w, TF_WAIT, &wt, sizeof(wt));
	tf_put_str(&w, "tcp 127.0.0.1:5432");
	tf_end_rec(&w);
	tf_begin(&w, TF_SAMPLE, &s, sizeof(s));
	tf_put(&w, pcs, sizeof(pcs));
	tf_end_rec(&w);
	cr_assert_eq(tf_close(&w), 0);
	data = tl_read_file(path, len);
	cr_assert_not_null(data);
	tl_rm_rf(dir);
	return data;
}

Test(tfile, round_trip)
{
	size_t len;
	char *data = write_sample_file(&len);
	struct tf_reader r;
	struct tf_rec rec;
	struct tf_cursor c;
	struct tf_thread th;
	struct tf_sample s;
	uint64_t pcs[3];
	char name[64];

	cr_assert_eq(len % 8, 0);
	cr_assert_eq(tf_reader_init(&r, data, len), 0);
	cr_assert_eq(r.hdr.hz, 99);
	cr_assert_eq(tf_next(&r, &rec, &c), 1);
	cr_assert_eq(rec.type, TF_THREAD);
	tf_get(&c, &th, sizeof(th));
	tf_get_str(&c, name, sizeof(name));
	cr_assert(!c.bad);
	cr_assert_eq(th.tid, 42);
	cr_assert_eq(th.pid, 41);
	cr_assert_str_eq(name, "worker");
	cr_assert_eq(tf_next(&r, &rec, &c), 1);
	cr_assert_eq(rec.type, TF_WAIT);
	c.p += sizeof(struct tf_wait);
	tf_get_str(&c, name, sizeof(name));
	cr_assert_str_eq(name, "tcp 127.0.0.1:5432");
	cr_assert_eq(tf_next(&r, &rec, &c), 1);
	cr_assert_eq(rec.type, TF_SAMPLE);
	tf_get(&c, &s, sizeof(s));
	tf_get(&c, pcs, sizeof(pcs));
	cr_assert(!c.bad);
	cr_assert_eq(s.nframes, 3);
	cr_assert_eq(pcs[2], 0x7f0000001000ull);
	/* reading past the record is refused, not garbage */
	tf_get(&c, pcs, sizeof(pcs));
	cr_assert(c.bad);
	cr_assert_eq(tf_next(&r, &rec, &c), 0);
}

Test(tfile, cut_short_keeps_what_came_before)
{
	size_t len;
	char *data = write_sample_file(&len);
	struct tf_reader r;
	struct tf_rec rec;
	struct tf_cursor c;

	/* cut in the middle of the sample record */
	cr_assert_eq(tf_reader_init(&r, data, len - 12), 0);
	cr_assert_eq(tf_next(&r, &rec, &c), 1);
	cr_assert_eq(tf_next(&r, &rec, &c), 1);
	cr_assert_eq(tf_next(&r, &rec, &c), -ENODATA);
}

Test(tfile, damaged_size_is_refused)
{
	size_t len;
	char *data = write_sample_file(&len);
	struct tf_reader r;
	struct tf_rec rec;
	struct tf_cursor c;
	uint32_t bad = 12; /* not a multiple of 8 */

	memcpy(data + TF_HEADER_SIZE + 4, &bad, sizeof(bad));
	cr_assert_eq(tf_reader_init(&r, data, len), 0);
	cr_assert_eq(tf_next(&r, &rec, &c), -EBADMSG);
}

Test(tfile, foreign_and_future_files)
{
	size_t len;
	char *data = write_sample_file(&len);
	struct tf_reader r;
	uint32_t v = TF_VERSION + 1;

	cr_assert_eq(tf_reader_init(&r, "hello", 5), -EINVAL);
	cr_assert_eq(tf_reader_init(&r, data, TF_HEADER_SIZE - 1), -EINVAL);
	memcpy(data + 8, &v, sizeof(v));
	cr_assert_eq(tf_reader_init(&r, data, len), -ENOTSUP);
	data[0] = 'X';
	cr_assert_eq(tf_reader_init(&r, data, len), -EINVAL);
}

Test(tfile, long_strings_are_cut_not_overflowed)
{
	char *dir = tl_tmpdir("tfile"), *path, *data, *big = malloc(70000), out[16];
	struct tf_header h = header();
	struct tf_writer w;
	struct tf_reader r;
	struct tf_rec rec;
	struct tf_cursor c;
	size_t len;
	uint32_t tid = 1;
	int fd;

	memset(big, 'x', 69999);
	big[69999] = 0;
	cr_assert(asprintf(&path, "%s/f.ptrace", dir) > 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_eq(tf_open(&w, fd, &h), 0);
	tf_begin(&w, TF_COMM, &tid, sizeof(tid));
	tf_put_str(&w, big);
	tf_end_rec(&w);
	cr_assert_eq(tf_close(&w), 0);
	data = tl_read_file(path, &len);
	cr_assert_eq(tf_reader_init(&r, data, len), 0);
	cr_assert_eq(tf_next(&r, &rec, &c), 1);
	c.p += sizeof(tid);
	tf_get_str(&c, out, sizeof(out));
	cr_assert(!c.bad);
	cr_assert_eq(strlen(out), sizeof(out) - 1);
	tl_rm_rf(dir);
}
