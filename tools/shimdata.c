/*
 * Loading the shim's reports of one run; see shimdata.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jget.h"
#include "outfile.h"
#include "shimdata.h"
#include "strbuf.h"

static int cmp_proc(const void *a, const void *b)
{
	const struct shim_proc *x = a, *y = b;
	double sx = jnum(x->j, "start_mono_ns", 0), sy = jnum(y->j, "start_mono_ns", 0);

	if (sx != sy)
		return sx < sy ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid - y->pid;
	return x->image - y->image;
}

static void add_proc(struct shim_set *set, cJSON *j)
{
	struct strbuf sb = STRBUF_INIT;
	struct shim_proc *p;
	const cJSON *a;

	set->p = realloc(set->p, sizeof(*set->p) * (size_t)(set->n + 1));
	if (!set->p)
		error_msg_and_die("out of memory");
	p = &set->p[set->n++];
	p->j = j;
	p->pid = (int)jnum(j, "pid", 0);
	p->ppid = (int)jnum(j, "ppid", 0);
	p->image = (int)jnum(j, "image", 0);
	p->exe = jstr(j, "exe", "?");
	p->end_reason = jstr(j, "end_reason", "?");
	cJSON_ArrayForEach(a, jget(j, "argv"))
	{
		if (!cJSON_IsString(a))
			continue;
		if (sb.len)
			sb_putc(&sb, ' ');
		sb_puts(&sb, a->valuestring);
	}
	p->cmdline = sb_detach(&sb);
}

int shim_load(const char *dir, struct shim_set *set)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	memset(set, 0, sizeof(*set));
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		size_t len = strlen(nm);
		int is_report =
		    !strncmp(nm, "perfshim.", 9) && len > 14 && !strcmp(nm + len - 5, ".json");
		int is_py =
		    !strncmp(nm, "pyspans.", 8) && len > 13 && !strcmp(nm + len - 5, ".json");
		char *path;
		cJSON *j;

		if (!strncmp(nm, "perfshim.", 9) && len > 4 && !strcmp(nm + len - 4, ".shm"))
			set->leftover_shm++;
		if (!is_report && !is_py)
			continue;
		path = out_path(dir, nm);
		j = jload(path, NULL);
		free(path);
		if (!j || (is_report && strcmp(jstr(j, "schema", ""), "perfshim-report"))) {
			cJSON_Delete(j);
			set->bad++;
			continue;
		}
		if (is_report) {
			add_proc(set, j);
		} else {
			set->pyspans = realloc(set->pyspans,
					       sizeof(*set->pyspans) * (size_t)(set->npyspans + 1));
			if (!set->pyspans)
				error_msg_and_die("out of memory");
			set->pyspans[set->npyspans++] = j;
		}
	}
	closedir(d);
	if (set->n)
		qsort(set->p, (size_t)set->n, sizeof(*set->p), cmp_proc);
	return 0;
}

void shim_free(struct shim_set *set)
{
	for (int i = 0; i < set->n; i++) {
		cJSON_Delete(set->p[i].j);
		free(set->p[i].cmdline);
	}
	for (int i = 0; i < set->npyspans; i++)
		cJSON_Delete(set->pyspans[i]);
	free(set->p);
	free(set->pyspans);
	memset(set, 0, sizeof(*set));
}

uint64_t shim_sum(const struct shim_set *set, const char *path)
{
	uint64_t s = 0;

	for (int i = 0; i < set->n; i++)
		s += ju64(set->p[i].j, path);
	return s;
}

uint64_t shim_max(const struct shim_set *set, const char *path)
{
	uint64_t m = 0;

	for (int i = 0; i < set->n; i++) {
		uint64_t v = ju64(set->p[i].j, path);

		if (v > m)
			m = v;
	}
	return m;
}

const struct shim_proc *shim_find_pid(const struct shim_set *set, int pid)
{
	const struct shim_proc *best = NULL;

	for (int i = 0; i < set->n; i++)
		if (set->p[i].pid == pid && (!best || set->p[i].image > best->image))
			best = &set->p[i];
	return best;
}

static int listens_on(const struct shim_proc *p, const char *addr)
{
	const cJSON *l;

	cJSON_ArrayForEach(l, jget(p->j, "net.listens"))
	{
		const char *a = jstr(l, "addr", "");

		if (!strcmp(a, addr))
			return 1;
		/* A server bound to the wildcard address answers on every
		 * local address with its port. */
		if ((!strncmp(a, "0.0.0.0:", 8) || !strncmp(a, "[::]:", 5)) && strrchr(addr, ':') &&
		    !strcmp(strrchr(a, ':'), strrchr(addr, ':')) &&
		    (!strncmp(addr, "127.", 4) || !strncmp(addr, "[::1]", 5)))
			return 1;
	}
	return 0;
}

/* Requests this process answered as the server of its listening socket. */
static double served(const struct shim_proc *p)
{
	const cJSON *peer;
	double n = 0;

	cJSON_ArrayForEach(peer,
			   jget(p->j, "net.peers")) if (!strcmp(jstr(peer, "role", ""), "server"))
	    n += jnum(peer, "accepts", 0) + jnum(peer, "served", 0);
	return n;
}

const struct shim_proc *shim_find_listener(const struct shim_set *set, const char *addr)
{
	const struct shim_proc *best = NULL;

	/* A socket listened on before a fork is listed by parent and child:
	 * the server is the one that accepted. */
	for (int i = 0; i < set->n; i++)
		if (listens_on(&set->p[i], addr) && (!best || served(&set->p[i]) > served(best)))
			best = &set->p[i];
	return best;
}

int shim_npids(const struct shim_set *set)
{
	int n = 0;

	for (int i = 0; i < set->n; i++) {
		int seen = 0;

		for (int k = 0; k < i; k++)
			if (set->p[k].pid == set->p[i].pid)
				seen = 1;
		n += !seen;
	}
	return n;
}

const char *shim_service(const struct shim_proc *p)
{
	const char *s = strrchr(p->exe, '/');

	return s ? s + 1 : p->exe;
}

const char *shim_service_name(const struct shim_set *set, const struct shim_proc *p)
{
	static char buf[256];
	const char *base = shim_service(p);
	int k = 1, seen[1024], nseen = 0;

	for (int i = 0; set && i < set->n && set->p[i].pid != p->pid; i++) {
		int dup = 0;

		for (int j = 0; j < nseen; j++)
			dup |= seen[j] == set->p[i].pid;
		if (dup || nseen >= 1024)
			continue;
		seen[nseen++] = set->p[i].pid;
		/* the last image names the process */
		if (!strcmp(shim_service(shim_find_pid(set, set->p[i].pid)), base))
			k++;
	}
	if (k == 1)
		snprintf(buf, sizeof(buf), "%s", base);
	else
		snprintf(buf, sizeof(buf), "%s#%d", base, k);
	return buf;
}
