/*
 * Turning module-relative addresses into functions and source lines, with
 * elfutils' libdwfl: ELF .symtab and .dynsym, separate debug files (by
 * build-id under /usr/lib/debug, or .gnu_debuglink), DWARF lines and inlined
 * frames, C++ names demangled.  One Dwfl per module, opened on first use.
 *
 * A module whose file no longer matches what was recorded (another build-id,
 * or another size and time when there is no build-id) is not read: its
 * addresses stay addresses and the module carries a `problem` that the
 * reports print.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"
#include "profile.h"

/* libstdc++'s demangler (the Itanium C++ ABI's). */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

struct modsyms {
	Dwfl *dwfl;
	Dwfl_Module *dm;
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int is_system(const struct rmodule *m)
{
	static const char *const dirs[] = {"/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/",
					   "/usr/libexec/"};

	if (!m)
		return 0;
	if (m->kind == TFM_VDSO || !strncmp(base_name(m->path), "libperfshim", 11))
		return 1;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!strncmp(m->path, dirs[i], strlen(dirs[i])))
			return 1;
	return 0;
}

static void set_problem(struct rmodule *m, const char *what)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s%s", m->path, what);
	free(m->problem);
	m->problem = strdup(buf);
}

static struct modsyms *open_module(struct rmodule *m)
{
	struct modsyms *ms;
	struct stat st;
	int fd = -1;
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n;

	m->sym_tried = 1;
	if (m->kind == TFM_FILE) {
		if (stat(m->path, &st) < 0) {
			set_problem(m, ": not found; its addresses are shown unresolved");
			return NULL;
		}
		if (!m->build_id_len && m->size &&
		    ((uint64_t)st.st_size != m->size ||
		     (uint64_t)st.st_mtim.tv_sec * 1000000000ull + st.st_mtim.tv_nsec !=
			 m->mtime_ns)) {
			set_problem(m, " changed since it was recorded; its addresses are "
				       "shown unresolved");
			return NULL;
		}
	} else {
		/* the vdso exists only as the bytes we kept: give libdwfl a file of them */
		fd = memfd_create("vdso", MFD_CLOEXEC);
		if (fd < 0 || write(fd, m->image, m->image_len) != (ssize_t)m->image_len) {
			if (fd >= 0)
				close(fd);
			return NULL;
		}
	}
	ms = calloc(1, sizeof(*ms));
	if (!ms)
		goto fail;
	ms->dwfl = dwfl_begin(&callbacks);
	if (!ms->dwfl)
		goto fail;
	dwfl_report_begin(ms->dwfl);
	/* base 0: addresses are the ELF's own; libdwfl owns fd from here */
	ms->dm = dwfl_report_elf(ms->dwfl, base_name(m->path), m->path, fd, 0, false);
	fd = -1;
	dwfl_report_end(ms->dwfl, NULL, NULL);
	if (!ms->dm) {
		set_problem(m, ": not an ELF file libdw can read");
		goto fail;
	}
	n = dwfl_module_build_id(ms->dm, &bits, &vaddr);
	if (m->build_id_len &&
	    (n != (int)m->build_id_len || memcmp(bits, m->build_id, m->build_id_len))) {
		set_problem(m, " has another build-id than when it was recorded (rebuilt?); "
			       "its addresses are shown unresolved");
		goto fail;
	}
	return ms;
fail:
	if (fd >= 0)
		close(fd);
	if (ms && ms->dwfl)
		dwfl_end(ms->dwfl);
	free(ms);
	return NULL;
}

char *symbols_demangle(const char *sym)
{
	int status = -1;
	char *d, name[1024];
	const char *at = strchr(sym, '@');

	/* "clock_nanosleep@GLIBC_2.2.5": the symbol version is not part of the name */
	snprintf(name, sizeof(name), "%.*s", at ? (int)(at - sym) : (int)strlen(sym), sym);

	if (name[0] == '_' && name[1] == 'Z') {
		d = __cxa_demangle(name, NULL, NULL, &status);
		if (d && status == 0)
			return d;
		free(d);
	}
	return strdup(name);
}

static const char *intern_str(struct profile *p, const char *s)
{
	uint64_t key;
	uint32_t idx;

	if (!s)
		return NULL;
	for (key = hmap_hash_str(s, 0);; key = hmap_next_key(key)) {
		if (!hmap_get(&p->str_map, key, &idx))
			break;
		if (!strcmp(p->strs[idx], s))
			return p->strs[idx];
	}
	if (p->nstrs == p->capstrs) {
		size_t cap = p->capstrs ? p->capstrs * 2 : 256;
		char **n = reallocarray(p->strs, cap, sizeof(*n));

		if (!n)
			return NULL;
		p->strs = n;
		p->capstrs = cap;
	}
	p->strs[p->nstrs] = strdup(s);
	if (!p->strs[p->nstrs] || hmap_put(&p->str_map, key, p->nstrs) < 0)
		return NULL;
	return p->strs[p->nstrs++];
}

/* The function (name, mod), created with decl file/line on first sight. */
static int intern_func(struct profile *p, const char *name, struct rmodule *mod, const char *file,
		       int line, uint32_t *out)
{
	uint64_t key = hmap_hash_str(name, mod ? mod->id : 0);
	struct rfunc *f;

	for (;; key = hmap_next_key(key)) {
		if (!hmap_get(&p->func_map, key, out))
			break;
		if (p->funcs[*out].mod == mod && !strcmp(p->funcs[*out].name, name))
			return 0;
	}
	if (p->nfuncs == p->capfuncs) {
		size_t cap = p->capfuncs ? p->capfuncs * 2 : 256;
		struct rfunc *n = reallocarray(p->funcs, cap, sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->funcs = n;
		p->capfuncs = cap;
	}
	f = &p->funcs[p->nfuncs];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	if (!f->name)
		return -ENOMEM;
	f->mod = mod;
	f->file = file ? strdup(file) : NULL;
	f->line = line;
	f->system = is_system(mod);
	f->mark = UINT32_MAX;
	*out = p->nfuncs++;
	return hmap_put(&p->func_map, key, *out);
}

static int add_frame(struct profile *p, const char *name, struct rmodule *mod, const char *dfile,
		     int dline, const char *file, int line)
{
	struct rframe *fr;
	uint32_t fn;
	int err = intern_func(p, name, mod, dfile, dline, &fn);

	if (err)
		return err;
	if (p->nframes == p->capframes) {
		size_t cap = p->capframes ? p->capframes * 2 : 1024;
		struct rframe *n = reallocarray(p->frames, cap, sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->frames = n;
		p->capframes = cap;
	}
	fr = &p->frames[p->nframes++];
	fr->func = fn;
	fr->file = intern_str(p, file);
	fr->line = line;
	return 0;
}

/* The name of a DWARF function scope: its linkage name demangled, else its name. */
static char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));

	if (!n)
		n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	if (n)
		return symbols_demangle(n);
	n = dwarf_diename(die);
	return n ? strdup(n) : NULL;
}

/* file made absolute against dir when it is relative; buf holds the result. */
static const char *absolute(const char *file, const char *dir, char *buf, size_t len)
{
	if (!file || file[0] == '/' || !dir || !*dir)
		return file;
	snprintf(buf, len, "%s/%s", dir, file);
	return buf;
}

static void decl_of(Dwarf_Die *die, const char *comp_dir, const char **file, int *line, char *buf,
		    size_t len)
{
	*file = absolute(dwarf_decl_file(die), comp_dir, buf, len);
	*line = 0;
	dwarf_decl_line(die, line);
}

/* Resolves one loc into its frames (outer functions of an inline chain included). */
static int resolve(struct profile *p, struct rloc *l)
{
	struct modsyms *ms = NULL;
	const char *symname = NULL, *file = NULL;
	int line = 0, err = 0;
	char buf[256];
	Dwfl_Line *dl;
	Dwarf_Die *cu, *scopes = NULL;
	Dwarf_Addr bias = 0;
	GElf_Off off;
	GElf_Sym sym;
	int nscopes = 0;
	Dwarf_Files *files = NULL;
	const char *comp_dir = NULL;
	char fbuf[4096], dbuf[4096];

	l->first_frame = p->nframes;
	if (l->mod && !l->mod->sym_tried)
		l->mod->sym = open_module(l->mod);
	if (l->mod)
		ms = l->mod->sym;
	if (!ms) {
		if (l->mod)
			snprintf(buf, sizeof(buf), "[%s+0x%llx]", base_name(l->mod->path),
				 (unsigned long long)l->addr);
		else
			snprintf(buf, sizeof(buf), "[unknown]");
		err = add_frame(p, buf, l->mod, NULL, 0, NULL, 0);
		goto out;
	}
	symname = dwfl_module_addrinfo(ms->dm, l->addr, &off, &sym, NULL, NULL, NULL);
	dl = dwfl_module_getsrc(ms->dm, l->addr);
	if (dl)
		file = absolute(dwfl_lineinfo(dl, NULL, &line, NULL, NULL, NULL),
				dwfl_line_comp_dir(dl), fbuf, sizeof(fbuf));
	cu = dwfl_module_addrdie(ms->dm, l->addr, &bias);
	if (cu) {
		/*
		 * dwarf_getscopes continues an inlined instance with the scopes
		 * of its abstract definition; the callers are the DIE's
		 * ancestors in the concrete tree, which dwarf_getscopes_die gives.
		 */
		nscopes = dwarf_getscopes(cu, l->addr - bias, &scopes);
		if (nscopes > 0) {
			Dwarf_Die inner = scopes[0];

			free(scopes);
			scopes = NULL;
			nscopes = dwarf_getscopes_die(&inner, &scopes);
		}
		dwarf_getsrcfiles(cu, &files, NULL);
		{
			Dwarf_Attribute attr;

			comp_dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr));
		}
	}
	for (int i = 0; i < nscopes; i++) {
		Dwarf_Die *d = &scopes[i];
		int tag = dwarf_tag(d);
		const char *dfile;
		int dline;
		char *name;

		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		if (tag == DW_TAG_subprogram && symname)
			name = symbols_demangle(symname);
		else
			name = die_name(d);
		if (!name)
			name = strdup(symname ? symname : "[unknown]");
		if (!name) {
			err = -ENOMEM;
			goto out;
		}
		decl_of(d, comp_dir, &dfile, &dline, dbuf, sizeof(dbuf));
		err = add_frame(p, name, l->mod, dfile, dline, file, line);
		free(name);
		if (err)
			goto out;
		if (tag == DW_TAG_subprogram)
			break;
		/* the caller of an inlined call is at the call site */
		{
			Dwarf_Attribute attr;
			Dwarf_Word v;

			line = 0;
			file = NULL;
			if (dwarf_formudata(dwarf_attr(d, DW_AT_call_line, &attr), &v) == 0)
				line = v;
			if (files &&
			    dwarf_formudata(dwarf_attr(d, DW_AT_call_file, &attr), &v) == 0)
				file = absolute(dwarf_filesrc(files, v, NULL, NULL), comp_dir, fbuf,
						sizeof(fbuf));
		}
	}
	if (p->nframes == l->first_frame) {
		/* no DWARF scope: the ELF symbol alone */
		char *name = symname ? symbols_demangle(symname) : NULL;

		if (!name)
			snprintf(buf, sizeof(buf), "[%s+0x%llx]", base_name(l->mod->path),
				 (unsigned long long)l->addr);
		err = add_frame(p, name ? name : buf, l->mod, NULL, 0, file, line);
		free(name);
	}
out:
	free(scopes);
	l->nframes = p->nframes - l->first_frame;
	return err;
}

void *symbols_dwfl_module(struct rmodule *m)
{
	struct modsyms *ms;

	if (!m->sym_tried)
		m->sym = open_module(m);
	ms = m->sym;
	return ms ? ms->dm : NULL;
}

int profile_symbolize(struct profile *p)
{
	if (p->symbolized)
		return 0;
	for (size_t i = 0; i < p->nlocs; i++) {
		int err = resolve(p, &p->locs[i]);

		if (err)
			return err;
	}
	p->symbolized = 1;
	return 0;
}

size_t profile_stack(const struct profile *p, const struct rsample *s, const struct rframe **out,
		     struct rframe **scratch, size_t *scratch_cap)
{
	size_t n = 0;

	for (uint32_t i = 0; i < s->nlocs; i++)
		n += p->locs[p->sloc[s->first_loc + i]].nframes;
	if (n > *scratch_cap) {
		struct rframe *nb = reallocarray(*scratch, n, sizeof(**scratch));

		if (!nb) {
			*out = NULL;
			return 0;
		}
		*scratch = nb;
		*scratch_cap = n;
	}
	n = 0;
	for (uint32_t i = 0; i < s->nlocs; i++) {
		const struct rloc *l = &p->locs[p->sloc[s->first_loc + i]];

		memcpy(*scratch + n, p->frames + l->first_frame, l->nframes * sizeof(**scratch));
		n += l->nframes;
	}
	*out = *scratch;
	return n;
}

const struct rloc *profile_loc(const struct profile *p, const struct rsample *s, size_t i)
{
	return i < s->nlocs ? &p->locs[p->sloc[s->first_loc + i]] : NULL;
}

void symbols_free(struct profile *p)
{
	for (size_t i = 0; i < p->nmods; i++) {
		struct modsyms *ms = p->mods[i].sym;

		if (ms) {
			dwfl_end(ms->dwfl);
			free(ms);
		}
		p->mods[i].sym = NULL;
	}
	for (size_t i = 0; i < p->nfuncs; i++) {
		free(p->funcs[i].name);
		free(p->funcs[i].file);
	}
	for (size_t i = 0; i < p->nstrs; i++)
		free(p->strs[i]);
	free(p->funcs);
	free(p->frames);
	free(p->strs);
	hmap_free(&p->func_map);
	hmap_free(&p->str_map);
}
