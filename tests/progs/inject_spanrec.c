/*
 * A recorder of the span API (preload/perfshim.h) for perfinject's tests,
 * preloaded instead of libperfshim.so so the wrappers' calls can be checked
 * exactly without the shim: every enter must be closed by an exit on the
 * same thread with the token it returned, in LIFO order.  At exit it writes
 * one line per site to $SPANREC_OUT:
 *
 *	name \t file \t line \t calls \t total_ns \t self_ns \t bad
 *
 * calls are matched exits; total_ns is inclusive time of outermost
 * activations, self_ns inclusive minus nested spans; bad counts exits whose
 * site or token did not match the innermost open span.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct perfshim_site {
	const char *name;
	const char *file;
	unsigned int line;
	unsigned int id;
};

struct stat_row {
	const char *name, *file;
	unsigned int line;
	unsigned long calls, total, self, bad;
};

struct open_span {
	struct perfshim_site *site;
	unsigned long token;
	unsigned long long t0, child;
};

#define MAX_SITES 1024
#define MAX_DEPTH 4096

static struct stat_row rows[MAX_SITES];
static unsigned int nrows;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread struct open_span stack[MAX_DEPTH];
static __thread int depth;
static __thread unsigned long next_token;

static unsigned long long now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int perfshim_abi_version(void)
{
	return 1;
}

unsigned long perfshim_span_enter(struct perfshim_site *site)
{
	struct open_span *o;

	pthread_mutex_lock(&lock);
	if (!site->id && nrows < MAX_SITES) {
		rows[nrows].name = site->name;
		rows[nrows].file = site->file;
		rows[nrows].line = site->line;
		site->id = ++nrows;
	}
	pthread_mutex_unlock(&lock);
	if (depth >= MAX_DEPTH)
		return 0;
	o = &stack[depth++];
	o->site = site;
	o->token = ++next_token;
	o->child = 0;
	o->t0 = now();
	return o->token;
}

void perfshim_span_exit(struct perfshim_site *site, unsigned long token)
{
	unsigned long long t = now(), incl;
	struct open_span *o;
	struct stat_row *r;
	int outer = 1, i;

	if (!depth || !site->id)
		return;
	o = &stack[--depth];
	r = &rows[site->id - 1];
	incl = t - o->t0;
	for (i = 0; i < depth; i++)
		if (stack[i].site == site)
			outer = 0;
	pthread_mutex_lock(&lock);
	if (o->site != site || o->token != token)
		r->bad++;
	r->calls++;
	if (outer)
		r->total += incl;
	r->self += incl - o->child;
	pthread_mutex_unlock(&lock);
	if (depth)
		stack[depth - 1].child += incl;
}

__attribute__((destructor)) static void dump(void)
{
	const char *out = getenv("SPANREC_OUT");
	FILE *f;
	unsigned int i;

	if (!out || !(f = fopen(out, "a")))
		return;
	for (i = 0; i < nrows; i++)
		fprintf(f, "%s\t%s\t%u\t%lu\t%lu\t%lu\t%lu\n", rows[i].name, rows[i].file,
			rows[i].line, rows[i].calls, rows[i].total, rows[i].self, rows[i].bad);
	fclose(f);
}
