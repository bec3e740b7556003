/*
 * perftrace report --format speedscope: speedscope's file format
 * (https://www.speedscope.app/file-format-schema.json), one "sampled"
 * profile per thread, frames shared.  Each sample weighs its ticks times the
 * thread's measured mean interval, in nanoseconds, so a profile's total is
 * the thread's sampled wall time.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>

#include "report.h"

int report_speedscope(FILE *f, struct profile *p, struct agg *a, const struct report_opts *o)
{
	cJSON *root = cJSON_CreateObject(), *frames, *profiles;
	struct rframe *scratch = NULL;
	size_t scap = 0;
	char *text;
	int err = 0;

	(void)a;
	if (!root)
		return -ENOMEM;
	cJSON_AddStringToObject(root, "$schema",
				"https://www.speedscope.app/file-format-schema.json");
	cJSON_AddStringToObject(root, "exporter", "perftrace");
	cJSON_AddStringToObject(root, "name", o->input);
	cJSON_AddNumberToObject(root, "activeProfileIndex", 0);
	frames = cJSON_AddArrayToObject(cJSON_AddObjectToObject(root, "shared"), "frames");
	for (size_t i = 0; i < p->nfuncs; i++) {
		cJSON *fr = cJSON_CreateObject();

		cJSON_AddStringToObject(fr, "name", p->funcs[i].name);
		if (p->funcs[i].file)
			cJSON_AddStringToObject(fr, "file", p->funcs[i].file);
		if (p->funcs[i].line > 0)
			cJSON_AddNumberToObject(fr, "line", p->funcs[i].line);
		cJSON_AddItemToArray(frames, fr);
	}
	profiles = cJSON_AddArrayToObject(root, "profiles");
	for (size_t ti = 0; ti < p->nthreads; ti++) {
		const struct rthread *t = &p->threads[ti];
		cJSON *pr, *samples, *weights;
		double interval = t->samples ? (double)(t->end_ns - t->start_ns) / t->samples : 0;
		double total = 0;
		char name[96];

		if (!t->samples)
			continue;
		pr = cJSON_CreateObject();
		snprintf(name, sizeof(name), "%s (thread %u of process %u)", t->comm, t->tid,
			 t->pid);
		cJSON_AddStringToObject(pr, "type", "sampled");
		cJSON_AddStringToObject(pr, "name", name);
		cJSON_AddStringToObject(pr, "unit", "nanoseconds");
		cJSON_AddNumberToObject(pr, "startValue", 0);
		samples = cJSON_AddArrayToObject(pr, "samples");
		weights = cJSON_AddArrayToObject(pr, "weights");
		for (size_t i = 0; i < p->nsamples; i++) {
			const struct rsample *s = &p->samples[i];
			const struct rframe *st;
			size_t n;
			cJSON *stack;

			if (s->tid != t->tid || s->pid != t->pid)
				continue;
			n = profile_stack(p, s, &st, &scratch, &scap);
			stack = cJSON_CreateArray();
			for (size_t k = n; k-- > 0;)
				cJSON_AddItemToArray(stack, cJSON_CreateNumber(st[k].func));
			cJSON_AddItemToArray(samples, stack);
			cJSON_AddItemToArray(
			    weights,
			    cJSON_CreateNumber((double)(uint64_t)(s->weight * interval + 0.5)));
			total += (double)(uint64_t)(s->weight * interval + 0.5);
		}
		cJSON_AddNumberToObject(pr, "endValue", total);
		cJSON_AddItemToArray(profiles, pr);
	}
	free(scratch);
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!text)
		return -ENOMEM;
	if (fputs(text, f) == EOF || fputc('\n', f) == EOF)
		err = -EIO;
	free(text);
	return err;
}
