/*
 * Helpers shared by the report writers (see report.h).
 */
#include <stdio.h>
#include <string.h>

#include "report.h"

const char *module_name(const struct rmodule *m)
{
	const char *s;

	if (!m)
		return "?";
	s = strrchr(m->path, '/');
	return s ? s + 1 : m->path;
}

void node_label(const struct profile *p, const struct tnode *n, char *buf, size_t len)
{
	if (n->func != UINT32_MAX) {
		snprintf(buf, len, "%s", p->funcs[n->func].name);
	} else if (n->parent == UINT32_MAX) {
		snprintf(buf, len, "all");
	} else {
		struct rproc *pr = profile_proc((struct profile *)p, n->pid);

		snprintf(buf, len, "%s [%u]", pr && pr->comm ? pr->comm : "?", n->pid);
	}
}

double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

size_t report_problems(const struct profile *p, const char **lines, size_t max, char *buf,
		       size_t buflen)
{
	size_t n = 0, used = 0;

#define ADD(...)                                                                                   \
	do {                                                                                       \
		int k = snprintf(buf + used, buflen - used, __VA_ARGS__);                          \
		if (n < max && k > 0 && used + k < buflen) {                                       \
			lines[n++] = buf + used;                                                   \
			used += k + 1;                                                             \
		}                                                                                  \
	} while (0)

	if (p->malformed)
		ADD("the sample file is damaged at byte %zu; what came before it is reported",
		    p->bad_offset);
	else if (p->truncated)
		ADD("the sample file is truncated (perftrace was stopped before it finished); "
		    "the samples it holds are reported");
	for (size_t i = 0; i < p->nmods; i++)
		if (p->mods[i].problem)
			ADD("%s", p->mods[i].problem);
#undef ADD
	return n;
}
