/*
 * perftrace annotate FUNCTION: the function's machine code (capstone) with
 * the share of the function's samples at each instruction, self (the
 * instruction was executing) and total (it was executing, or it is the call
 * that the sampled stack returns through), source lines interleaved where
 * DWARF has them, then the same shares per source line.
 */
#include <capstone/capstone.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "error.h"
#include "report.h"

static const char usage_text[] = "usage: perftrace annotate [-i FILE] [-o OUT] FUNCTION\n"
				 "\n"
				 "  -i, --input FILE   sample file (default perftrace.ptrace)\n"
				 "  -o, --output OUT   write there instead of stdout\n";

struct hit {
	uint64_t addr;
	uint64_t self, total;
	uint32_t mark;
};

struct hits {
	struct hit *v;
	size_t n, cap;
	struct hmap map;
};

static struct hit *hit_at(struct hits *h, uint64_t addr)
{
	uint32_t i;

	if (hmap_get(&h->map, addr, &i))
		return &h->v[i];
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 256;
		h->v = realloc(h->v, h->cap * sizeof(*h->v));
		if (!h->v)
			error_msg_and_die("out of memory");
	}
	h->v[h->n] = (struct hit){.addr = addr, .mark = UINT32_MAX};
	if (hmap_put(&h->map, addr, h->n) < 0)
		error_msg_and_die("out of memory");
	return &h->v[h->n++];
}

/* The function to annotate: an exact name, else the only one containing it. */
static uint32_t pick_function(const struct profile *p, const char *name)
{
	uint32_t best = UINT32_MAX, found = 0;
	const char *cand[5];

	for (uint32_t i = 0; i < p->nfuncs; i++)
		if (p->funcs[i].total && !strcmp(p->funcs[i].name, name) &&
		    (best == UINT32_MAX || p->funcs[i].total > p->funcs[best].total))
			best = i;
	if (best != UINT32_MAX)
		return best;
	for (uint32_t i = 0; i < p->nfuncs; i++) {
		if (!p->funcs[i].total || !strstr(p->funcs[i].name, name))
			continue;
		if (found < 5)
			cand[found] = p->funcs[i].name;
		found++;
		if (best == UINT32_MAX || p->funcs[i].total > p->funcs[best].total)
			best = i;
	}
	if (found == 1)
		return best;
	if (found > 1) {
		char list[1024] = "";

		for (uint32_t i = 0; i < found && i < 5; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s'%s'",
				 i ? ", " : "", cand[i]);
		error_msg_and_die("'%s' matches %u functions (%s%s); give the full name", name,
				  found, list, found > 5 ? ", ..." : "");
	}
	error_msg_and_die("no samples in a function named '%s' (see perftrace report)", name);
}

/* Counts, per address of the function's module, the samples with f on their stack. */
static void collect(struct profile *p, uint32_t fn, struct hits *h)
{
	struct rframe *scratch = NULL;
	size_t scap = 0;

	for (size_t i = 0; i < p->nsamples; i++) {
		const struct rsample *s = &p->samples[i];
		const struct rframe *st;
		size_t n = profile_stack(p, s, &st, &scratch, &scap);

		if (!n)
			continue;
		for (uint32_t k = 0; k < s->nlocs; k++) {
			const struct rloc *l = profile_loc(p, s, k);
			int on = 0;

			for (uint32_t j = 0; j < l->nframes; j++)
				on |= p->frames[l->first_frame + j].func == fn;
			if (!on || l->mod != p->funcs[fn].mod)
				continue;
			struct hit *ht = hit_at(h, l->addr);

			if (ht->mark != i) {
				ht->mark = i;
				ht->total += s->weight;
			}
			if (k == 0 && st[0].func == fn)
				ht->self += s->weight;
		}
	}
	free(scratch);
}

struct srcline {
	const char *file;
	int line;
	uint64_t self, total;
};

static char *source_line(const char *file, int line, char *buf, size_t len)
{
	static char cached_path[4096];
	static char **lines;
	static size_t nlines;

	if (!file || line <= 0)
		return NULL;
	if (strcmp(cached_path, file)) {
		FILE *f = fopen(file, "re");
		char tmp[4096];

		for (size_t i = 0; i < nlines; i++)
			free(lines[i]);
		free(lines);
		lines = NULL;
		nlines = 0;
		snprintf(cached_path, sizeof(cached_path), "%s", file);
		while (f && fgets(tmp, sizeof(tmp), f)) {
			char **nl = realloc(lines, (nlines + 1) * sizeof(*lines));

			if (!nl)
				break;
			lines = nl;
			tmp[strcspn(tmp, "\n")] = 0;
			lines[nlines++] = strdup(tmp);
		}
		if (f)
			fclose(f);
	}
	if ((size_t)line > nlines || !lines[line - 1])
		return NULL;
	snprintf(buf, len, "%s", lines[line - 1]);
	return buf;
}

static int annotate(FILE *out, struct profile *p, uint32_t fn)
{
	const struct rfunc *f = &p->funcs[fn];
	Dwfl_Module *dm = f->mod ? symbols_dwfl_module(f->mod) : NULL;
	struct hits h = {0};
	uint64_t start = 0, size = 0, any = 0, fself = 0;
	char *symname = NULL;
	struct srcline *sl = NULL;
	size_t nsl = 0;
	csh cs;
	cs_insn *insn = NULL;
	size_t ninsn;

	if (!dm)
		error_msg_and_die("%s: %s", f->name,
				  f->mod && f->mod->problem ? f->mod->problem
							    : "its module cannot be read");
	collect(p, fn, &h);
	/* the symbol that holds the most of its samples */
	for (size_t i = 0; i < h.n; i++) {
		GElf_Off off;
		GElf_Sym sym;
		const char *nm =
		    dwfl_module_addrinfo(dm, h.v[i].addr, &off, &sym, NULL, NULL, NULL);

		if (nm && h.v[i].total > any && sym.st_size) {
			any = h.v[i].total;
			start = h.v[i].addr - off;
			size = sym.st_size;
			free(symname);
			symname = symbols_demangle(nm);
		}
	}
	if (!symname)
		error_msg_and_die("%s: no symbol covers its samples (stripped?)", f->name);
	{
		Dwarf_Addr rel = start, bias = 0;
		Elf_Scn *scn = dwfl_module_address_section(dm, &rel, &bias);
		Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;

		if (!d || !d->d_buf || rel + size > d->d_size)
			error_msg_and_die("%s: its code is not in %s", f->name, f->mod->path);
		if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
			error_msg_and_die("capstone cannot disassemble x86-64 here");
		ninsn = cs_disasm(cs, (const uint8_t *)d->d_buf + rel, size, start, 0, &insn);
	}
	for (size_t i = 0; i < h.n; i++)
		if (h.v[i].addr >= start && h.v[i].addr < start + size)
			fself += h.v[i].self;
	fprintf(out, "%s (%s), %s at 0x%llx, %llu bytes: %llu samples (%llu self)\n", f->name,
		module_name(f->mod), symname, (unsigned long long)start, (unsigned long long)size,
		(unsigned long long)f->total, (unsigned long long)fself);
	if (strcmp(symname, f->name))
		fprintf(out, "(%s is inlined into %s: its share of that code is shown)\n", f->name,
			symname);
	fprintf(out,
		"shares are %% of the function's %llu samples\n\n   self%%  total%%  address\n",
		(unsigned long long)f->total);
	{
		const char *last_file = NULL;
		char last_path[4096];
		int last_line = -1;

		for (size_t i = 0; i < ninsn; i++) {
			uint64_t a = insn[i].address, self = 0, total = 0;
			Dwfl_Line *dl = dwfl_module_getsrc(dm, a);
			const char *file = NULL;
			int line = 0;
			char src[512], path[4096];

			if (dl)
				file = dwfl_lineinfo(dl, NULL, &line, NULL, NULL, NULL);
			for (size_t k = 0; k < h.n; k++)
				if (h.v[k].addr >= a && h.v[k].addr < a + insn[i].size) {
					self += h.v[k].self;
					total += h.v[k].total;
				}
			if (file && dwfl_line_comp_dir(dl) && file[0] != '/') {
				snprintf(path, sizeof(path), "%s/%s", dwfl_line_comp_dir(dl), file);
				file = path;
			}
			if (file && (line != last_line || !last_file || strcmp(file, last_file))) {
				char *txt = source_line(file, line, src, sizeof(src));

				fprintf(out, "%26s%s:%d%s%s\n", "", file, line, txt ? "  " : "",
					txt ? txt : "");
				snprintf(last_path, sizeof(last_path), "%s", file);
				last_file = last_path;
				last_line = line;
			}
			if (total)
				fprintf(out, "  %6.2f %7.2f  ", pct(self, f->total),
					pct(total, f->total));
			else
				fprintf(out, "  %6s %7s  ", "", "");
			fprintf(out, "%8llx:  %s %s\n", (unsigned long long)a, insn[i].mnemonic,
				insn[i].op_str);
			if (file && total) {
				size_t k;

				for (k = 0; k < nsl; k++)
					if (sl[k].line == line && !strcmp(sl[k].file, file))
						break;
				if (k == nsl) {
					sl = realloc(sl, (nsl + 1) * sizeof(*sl));
					if (!sl)
						error_msg_and_die("out of memory");
					sl[nsl++] = (struct srcline){strdup(file), line, 0, 0};
				}
				sl[k].self += self;
				sl[k].total += total;
			}
		}
	}
	if (nsl) {
		fprintf(out, "\nPer source line:\n   self%%  total%%  line\n");
		for (size_t k = 0; k < nsl; k++) {
			char src[512], *txt = source_line(sl[k].file, sl[k].line, src, sizeof(src));

			fprintf(out, "  %6.2f %7.2f  %s:%d%s%s\n", pct(sl[k].self, f->total),
				pct(sl[k].total, f->total), sl[k].file, sl[k].line, txt ? "  " : "",
				txt ? txt : "");
		}
	}
	if (insn)
		cs_free(insn, ninsn);
	cs_close(&cs);
	for (size_t k = 0; k < nsl; k++)
		free((char *)sl[k].file);
	free(sl);
	free(symname);
	free(h.v);
	hmap_free(&h.map);
	return ferror(out) ? -EIO : 0;
}

int cmd_annotate(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"input", required_argument, NULL, 'i'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *input = "perftrace.ptrace", *output = NULL;
	struct profile p;
	struct agg a;
	FILE *out;
	int c, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			input = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case ':':
			error_msg("option '%s' needs a value (see perftrace annotate --help)",
				  argv[optind - 1]);
			return EXIT_USAGE;
		default:
			/* getopt stays quiet (opterr = 0): one line in our own words */
			error_msg("unknown option '%s' (see perftrace annotate --help)",
				  argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		error_msg("annotate takes one FUNCTION (see perftrace annotate --help)");
		return EXIT_USAGE;
	}
	load_profile_or_die(&p, input);
	if (profile_aggregate(&p, &a) < 0)
		error_msg_and_die("out of memory");
	{
		uint32_t fn = pick_function(&p, argv[optind]);

		out = open_report_output(output);
		err = annotate(out, &p, fn);
	}
	if (fflush(out) == EOF || (out != stdout && fclose(out) == EOF))
		err = err ? err : -EIO;
	agg_free(&a);
	profile_free(&p);
	if (err) {
		errno = -err;
		perror_msg("writing the annotation");
		return EXIT_ERROR;
	}
	return 0;
}
