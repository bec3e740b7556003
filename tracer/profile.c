/*
 * Loading a sample file into a struct profile (see profile.h).
 *
 * Records are replayed in file order: a sample's addresses are resolved
 * against the mappings its process had at that point of the file, which is
 * how the recorder wrote them.  Anything out of range (a count larger than
 * its record, an unknown thread) is treated as damage: loading stops there
 * and keeps what came before.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile.h"

const char *const state_names[TS_NR] = {"cpu", "io_file", "io_net", "lock", "sleep", "other"};

#define GROW(arr, n, cap)                                                                          \
	((n) < (cap)                                                                               \
	     ? 0                                                                                   \
	     : ((cap) = (cap) ? (cap)*2 : 64,                                                      \
		(arr) = reallocarray_or_free((arr), (cap), sizeof(*(arr))), (arr) ? 0 : -ENOMEM))

static void *reallocarray_or_free(void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n, size);

	if (!q)
		free(p);
	return q;
}

static int read_whole(const char *path, void **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0, cap;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	cap = st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += n;
		if (got == cap) {
			/* still being written: take what is there now, in steps */
			char *nb = realloc(buf, cap *= 2);

			if (!nb) {
				err = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
	}
	*out = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

struct rthread *profile_thread(struct profile *p, uint32_t tid)
{
	uint32_t i;

	return hmap_get(&p->thread_map, tid, &i) ? &p->threads[i] : NULL;
}

struct rproc *profile_proc(struct profile *p, uint32_t pid)
{
	for (size_t i = 0; i < p->nprocs; i++)
		if (p->procs[i].pid == pid)
			return &p->procs[i];
	return NULL;
}

const struct rwait *profile_wait(const struct profile *p, uint32_t id)
{
	/* ids are assigned 1, 2, ... in file order */
	if (id && id <= p->nwaits && p->waits[id - 1].id == id)
		return &p->waits[id - 1];
	for (size_t i = 0; i < p->nwaits; i++)
		if (p->waits[i].id == id)
			return &p->waits[i];
	return NULL;
}

static struct rmodule *module_by_id(struct profile *p, uint32_t id)
{
	uint32_t i;

	return hmap_get(&p->mod_map, id, &i) ? &p->mods[i] : NULL;
}

static char *dup_str(struct tf_cursor *c)
{
	char buf[4096];

	tf_get_str(c, buf, sizeof(buf));
	return strdup(buf);
}

static int on_proc(struct profile *p, struct tf_cursor *c)
{
	struct tf_proc r;
	struct rproc *pr;

	tf_get(c, &r, sizeof(r));
	if (c->bad || r.argc > 4096)
		return -EBADMSG;
	pr = profile_proc(p, r.pid);
	if (!pr) {
		if (GROW(p->procs, p->nprocs, p->capprocs) < 0)
			return -ENOMEM;
		pr = &p->procs[p->nprocs++];
		memset(pr, 0, sizeof(*pr));
		pr->pid = r.pid;
		pr->start_ns = r.time_ns;
		pr->status = -1;
	}
	pr->ppid = r.ppid;
	pr->image = r.image;
	free(pr->exe);
	free(pr->comm);
	for (uint32_t i = 0; i < pr->argc; i++)
		free(pr->argv[i]);
	free(pr->argv);
	pr->exe = dup_str(c);
	pr->comm = dup_str(c);
	pr->argv = calloc(r.argc + 1, sizeof(char *));
	pr->argc = 0;
	if (!pr->exe || !pr->comm || !pr->argv)
		return -ENOMEM;
	for (uint32_t i = 0; i < r.argc; i++) {
		pr->argv[i] = dup_str(c);
		if (!pr->argv[i])
			return -ENOMEM;
		pr->argc++;
	}
	pr->nmaps = 0; /* a new image: its mappings follow */
	return c->bad ? -EBADMSG : 0;
}

static int on_module(struct profile *p, struct tf_cursor *c)
{
	struct tf_module r;
	struct rmodule *m;
	const void *bid, *img;
	uint32_t bidlen, imglen;

	tf_get(c, &r, sizeof(r));
	if (c->bad || !r.id || module_by_id(p, r.id))
		return -EBADMSG;
	if (GROW(p->mods, p->nmods, p->capmods) < 0)
		return -ENOMEM;
	m = &p->mods[p->nmods];
	memset(m, 0, sizeof(*m));
	m->id = r.id;
	m->kind = r.kind;
	m->dev = r.dev;
	m->ino = r.ino;
	m->size = r.size;
	m->mtime_ns = r.mtime_ns;
	m->path = dup_str(c);
	if (!m->path)
		return -ENOMEM;
	bid = tf_get_bytes(c, &bidlen);
	if (bid && bidlen <= sizeof(m->build_id)) {
		memcpy(m->build_id, bid, bidlen);
		m->build_id_len = bidlen;
	}
	img = tf_get_bytes(c, &imglen);
	m->image = img;
	m->image_len = imglen;
	if (c->bad) {
		free(m->path);
		return -EBADMSG;
	}
	p->nmods++;
	return hmap_put(&p->mod_map, r.id, p->nmods - 1);
}

static int on_map(struct profile *p, struct tf_cursor *c)
{
	struct tf_map r;
	struct rproc *pr;
	struct rmap *m;

	tf_get(c, &r, sizeof(r));
	pr = profile_proc(p, r.pid);
	if (c->bad || !pr || r.end <= r.start)
		return -EBADMSG;
	if (pr->nmaps && pr->maps[pr->nmaps - 1].end > r.start)
		return -EBADMSG; /* the recorder writes them sorted */
	if (GROW(pr->maps, pr->nmaps, pr->capmaps) < 0)
		return -ENOMEM;
	m = &pr->maps[pr->nmaps++];
	m->start = r.start;
	m->end = r.end;
	m->vaddr = r.vaddr;
	m->mod = module_by_id(p, r.module_id);
	return 0;
}

static int on_thread(struct profile *p, struct tf_cursor *c)
{
	struct tf_thread r;
	struct rthread *t;

	tf_get(c, &r, sizeof(r));
	if (c->bad)
		return -EBADMSG;
	t = profile_thread(p, r.tid);
	if (!t) {
		if (GROW(p->threads, p->nthreads, p->capthreads) < 0)
			return -ENOMEM;
		t = &p->threads[p->nthreads++];
		if (hmap_put(&p->thread_map, r.tid, p->nthreads - 1) < 0)
			return -ENOMEM;
		memset(t, 0, sizeof(*t));
		t->start_ns = r.time_ns;
	}
	/* a tid seen again after its end is a new thread of the same number */
	t->tid = r.tid;
	t->pid = r.pid;
	t->ended = 0;
	tf_get_str(c, t->comm, sizeof(t->comm));
	return c->bad ? -EBADMSG : 0;
}

static int on_wait(struct profile *p, struct tf_cursor *c)
{
	struct tf_wait r;
	struct rwait *w;

	tf_get(c, &r, sizeof(r));
	if (c->bad || r.state >= TS_NR)
		return -EBADMSG;
	if (GROW(p->waits, p->nwaits, p->capwaits) < 0)
		return -ENOMEM;
	w = &p->waits[p->nwaits];
	w->id = r.id;
	w->state = r.state;
	w->target = dup_str(c);
	if (!w->target)
		return -ENOMEM;
	p->nwaits++;
	return c->bad ? -EBADMSG : 0;
}

static int intern_loc(struct profile *p, struct rmodule *mod, uint64_t addr, uint32_t *out)
{
	uint64_t key =
	    mod ? ((uint64_t)(mod - p->mods) + 1) << 48 | (addr & 0xffffffffffffull) : addr;
	struct rloc *l;

	if (hmap_get(&p->loc_map, key, out))
		return 0;
	if (GROW(p->locs, p->nlocs, p->caplocs) < 0)
		return -ENOMEM;
	l = &p->locs[p->nlocs];
	memset(l, 0, sizeof(*l));
	l->mod = mod;
	l->addr = addr;
	*out = p->nlocs++;
	return hmap_put(&p->loc_map, key, *out);
}

static const struct rmap *find_map(const struct rproc *pr, uint64_t pc)
{
	size_t lo = 0, hi = pr->nmaps;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (pc < pr->maps[mid].start)
			hi = mid;
		else if (pc >= pr->maps[mid].end)
			lo = mid + 1;
		else
			return &pr->maps[mid];
	}
	return NULL;
}

static int on_sample(struct profile *p, struct tf_cursor *c)
{
	struct tf_sample r;
	struct rsample *s;
	struct rthread *t;
	struct rproc *pr;

	tf_get(c, &r, sizeof(r));
	if (c->bad || r.nframes > TF_MAX_FRAMES || r.state >= TS_NR ||
	    (size_t)(c->end - c->p) < r.nframes * sizeof(uint64_t))
		return -EBADMSG;
	t = profile_thread(p, r.tid);
	pr = t ? profile_proc(p, t->pid) : NULL;
	if (!t || !pr || (r.wait_id && !profile_wait(p, r.wait_id)))
		return -EBADMSG;
	if (!r.weight)
		r.weight = 1;
	if (GROW(p->samples, p->nsamples, p->capsamples) < 0)
		return -ENOMEM;
	while (p->nsloc + r.nframes > p->capsloc) {
		p->capsloc = p->capsloc ? p->capsloc * 2 : 4096;
		p->sloc = reallocarray_or_free(p->sloc, p->capsloc, sizeof(*p->sloc));
		if (!p->sloc)
			return -ENOMEM;
	}
	s = &p->samples[p->nsamples++];
	s->tid = r.tid;
	s->pid = t->pid;
	s->time_ns = r.time_ns;
	s->stop_ns = r.stop_ns;
	s->late_ns = r.late_ns;
	s->hold_ns = r.hold_ns;
	s->state = r.state;
	s->flags = r.flags;
	s->syscall = r.syscall;
	s->weight = r.weight;
	s->wait_id = r.wait_id;
	s->first_loc = p->nsloc;
	s->nlocs = r.nframes;
	for (uint32_t i = 0; i < r.nframes; i++) {
		uint64_t pc;
		const struct rmap *m;
		uint32_t loc;

		tf_get(c, &pc, sizeof(pc));
		/* a return address points after its call: look up the call itself */
		if (i > 0 && pc)
			pc--;
		m = find_map(pr, pc);
		if (intern_loc(p, m ? m->mod : NULL, m ? pc - m->start + m->vaddr : pc, &loc) < 0)
			return -ENOMEM;
		p->sloc[p->nsloc++] = loc;
	}
	t->samples += r.weight;
	t->states[r.state] += r.weight;
	if (!t->first_sample_ns || r.time_ns < t->first_sample_ns)
		t->first_sample_ns = r.time_ns;
	t->last_sample_ns = r.time_ns;
	pr->samples += r.weight;
	return 0;
}

static int on_record(struct profile *p, const struct tf_rec *rec, struct tf_cursor *c)
{
	switch (rec->type) {
	case TF_PROC:
		return on_proc(p, c);
	case TF_MODULE:
		return on_module(p, c);
	case TF_MAPS_RESET: {
		uint32_t pid;
		struct rproc *pr;

		tf_get(c, &pid, sizeof(pid));
		pr = profile_proc(p, pid);
		if (c->bad || !pr)
			return -EBADMSG;
		pr->nmaps = 0;
		return 0;
	}
	case TF_MAP:
		return on_map(p, c);
	case TF_THREAD:
		return on_thread(p, c);
	case TF_THREAD_END: {
		struct tf_thread_end r;
		struct rthread *t;

		tf_get(c, &r, sizeof(r));
		t = profile_thread(p, r.tid);
		if (c->bad || !t)
			return -EBADMSG;
		t->end_ns = r.time_ns;
		t->ended = 1;
		t->lost += r.lost;
		return 0;
	}
	case TF_COMM: {
		struct tf_comm r;
		struct rthread *t;

		tf_get(c, &r, sizeof(r));
		t = profile_thread(p, r.tid);
		if (c->bad || !t)
			return -EBADMSG;
		tf_get_str(c, t->comm, sizeof(t->comm));
		return c->bad ? -EBADMSG : 0;
	}
	case TF_WAIT:
		return on_wait(p, c);
	case TF_SAMPLE:
		return on_sample(p, c);
	case TF_PROC_END: {
		struct tf_proc_end r;
		struct rproc *pr;

		tf_get(c, &r, sizeof(r));
		pr = profile_proc(p, r.pid);
		if (c->bad || !pr)
			return -EBADMSG;
		pr->end_ns = r.time_ns;
		pr->status = r.status;
		pr->ended = 1;
		return 0;
	}
	case TF_END:
		tf_get(c, &p->end, sizeof(p->end));
		if (c->bad)
			return -EBADMSG;
		p->truncated = 0;
		return 0;
	default:
		return 0; /* a newer record type: skip it */
	}
}

static uint64_t rec_time(const struct tf_rec *rec, const struct tf_cursor *c)
{
	uint64_t t = 0;
	size_t off;

	switch (rec->type) {
	case TF_SAMPLE:
		off = offsetof(struct tf_sample, time_ns);
		break;
	case TF_THREAD:
		off = offsetof(struct tf_thread, time_ns);
		break;
	case TF_THREAD_END:
		off = offsetof(struct tf_thread_end, time_ns);
		break;
	case TF_PROC:
		off = offsetof(struct tf_proc, time_ns);
		break;
	case TF_PROC_END:
		off = offsetof(struct tf_proc_end, time_ns);
		break;
	case TF_END:
		off = offsetof(struct tf_end, time_ns);
		break;
	default:
		return 0;
	}
	if ((size_t)(c->end - c->p) >= off + sizeof(t))
		memcpy(&t, c->p + off, sizeof(t));
	return t;
}

int profile_load(struct profile *p, const char *path)
{
	struct tf_reader r;
	struct tf_rec rec;
	struct tf_cursor c;
	int err, ret;

	memset(p, 0, sizeof(*p));
	err = read_whole(path, &p->file, &p->file_len);
	if (err)
		return err;
	err = tf_reader_init(&r, p->file, p->file_len);
	if (err)
		return err;
	p->hdr = r.hdr;
	p->truncated = 1;
	while ((ret = tf_next(&r, &rec, &c)) > 0) {
		size_t at = r.pos - rec.size;
		uint64_t t = rec_time(&rec, &c);

		if (t > p->last_ns)
			p->last_ns = t;
		err = on_record(p, &rec, &c);
		if (err == -ENOMEM)
			return err;
		if (err) {
			ret = err;
			r.pos = at;
			break;
		}
		if (rec.type == TF_END)
			break;
	}
	if (ret < 0 && ret != -ENODATA) {
		/* a record cut short at the very end is truncation, not damage */
		p->malformed = 1;
		p->bad_offset = r.pos;
	}
	/* threads still running when the file ends end there */
	for (size_t i = 0; i < p->nthreads; i++)
		if (!p->threads[i].ended)
			p->threads[i].end_ns = p->last_ns;
	return 0;
}

void profile_free(struct profile *p)
{
	for (size_t i = 0; i < p->nprocs; i++) {
		struct rproc *pr = &p->procs[i];

		free(pr->exe);
		free(pr->comm);
		for (uint32_t j = 0; j < pr->argc; j++)
			free(pr->argv[j]);
		free(pr->argv);
		free(pr->maps);
	}
	for (size_t i = 0; i < p->nwaits; i++)
		free(p->waits[i].target);
	symbols_free(p);
	for (size_t i = 0; i < p->nmods; i++) {
		free(p->mods[i].path);
		free(p->mods[i].problem);
	}
	free(p->procs);
	free(p->waits);
	free(p->mods);
	free(p->threads);
	free(p->samples);
	free(p->sloc);
	free(p->locs);
	hmap_free(&p->loc_map);
	hmap_free(&p->thread_map);
	hmap_free(&p->mod_map);
	free(p->file);
	memset(p, 0, sizeof(*p));
}
