/*
 * Module + offset to function and source line; see symbolize.h.
 */
#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler.h"
#include "jget.h"
#include "prof.h"
#include "symbolize.h"

struct mod {
	char *path;
	int fd;
	Elf *elf;
	Dwarf *dw;     /* NULL without debug info */
	uint64_t base; /* lowest PT_LOAD vaddr, page aligned: offset + base = vaddr */
	int bad;
};

static struct mod *mods;
static int nmods;

static struct mod *open_mod(const char *path)
{
	struct mod *m;
	size_t nph;

	for (int i = 0; i < nmods; i++)
		if (!strcmp(mods[i].path, path))
			return &mods[i];
	m = realloc(mods, sizeof(*mods) * (size_t)(nmods + 1));
	if (!m)
		return NULL;
	mods = m;
	m = &mods[nmods++];
	memset(m, 0, sizeof(*m));
	m->path = strdup(path);
	m->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!m->path || m->fd < 0 || elf_version(EV_CURRENT) == EV_NONE) {
		m->bad = 1;
		return m;
	}
	m->elf = elf_begin(m->fd, ELF_C_READ, NULL);
	if (!m->elf || elf_getphdrnum(m->elf, &nph) < 0) {
		m->bad = 1;
		return m;
	}
	m->base = UINT64_MAX;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(m->elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    ph.p_vaddr < m->base)
			m->base = ph.p_vaddr & ~(uint64_t)0xfff;
	}
	if (m->base == UINT64_MAX)
		m->base = 0;
	m->dw = dwarf_begin_elf(m->elf, DWARF_C_READ, NULL);
	return m;
}

static int find_symbol(Elf *elf, uint64_t addr, char *out, size_t len)
{
	Elf_Scn *scn = NULL;
	int found = 0;

	/* .symtab first (static functions), then .dynsym */
	for (int pass = 0; pass < 2 && !found; pass++) {
		scn = NULL;
		while ((scn = elf_nextscn(elf, scn)) && !found) {
			GElf_Shdr sh;
			Elf_Data *data;

			if (!gelf_getshdr(scn, &sh) ||
			    sh.sh_type != (pass == 0 ? SHT_SYMTAB : SHT_DYNSYM))
				continue;
			data = elf_getdata(scn, NULL);
			for (size_t i = 0; data && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize;
			     i++) {
				GElf_Sym sym;
				const char *name;

				if (!gelf_getsym(data, (int)i, &sym) ||
				    GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_value)
					continue;
				if (addr < sym.st_value ||
				    addr >= sym.st_value + MAX(sym.st_size, 1))
					continue;
				name = elf_strptr(elf, sh.sh_link, sym.st_name);
				if (name && *name) {
					snprintf(out, len, "%s", name);
					found = 1;
					break;
				}
			}
		}
	}
	return found;
}

int sym_resolve(const char *module, uint64_t offset, int return_addr, struct sym_info *out)
{
	struct mod *m = open_mod(module);
	uint64_t addr;
	Dwarf_Die cu;

	memset(out, 0, sizeof(*out));
	if (!m)
		return -ENOMEM;
	if (m->bad)
		return -ENOENT;
	addr = offset + m->base - (return_addr && offset ? 1 : 0);
	find_symbol(m->elf, addr, out->func, sizeof(out->func));
	if (m->dw && dwarf_addrdie(m->dw, addr, &cu)) {
		Dwarf_Line *l = dwarf_getsrc_die(&cu, addr);
		const char *src = l ? dwarf_linesrc(l, NULL, NULL) : NULL;

		if (src) {
			snprintf(out->file, sizeof(out->file), "%s", src);
			dwarf_lineno(l, &out->line);
		}
	}
	return out->func[0] || out->line ? 0 : -ENOENT;
}

void sym_cleanup(void)
{
	for (int i = 0; i < nmods; i++) {
		if (mods[i].dw)
			dwarf_end(mods[i].dw);
		if (mods[i].elf)
			elf_end(mods[i].elf);
		if (mods[i].fd >= 0)
			close(mods[i].fd);
		free(mods[i].path);
	}
	free(mods);
	mods = NULL;
	nmods = 0;
}

char *sym_frame_name(const cJSON *f)
{
	const char *mod = jstr(f, "module", "?"), *off_s = jstr(f, "offset", NULL);
	uint64_t off = off_s ? strtoull(off_s, NULL, 0) : ju64(f, "offset");
	struct sym_info si;

	if (sym_resolve(mod, off, 1, &si) == 0 && si.func[0]) {
		const char *base = strrchr(si.file, '/') ? strrchr(si.file, '/') + 1 : si.file;

		return si.line ? xasprintf("%s (%s:%d)", si.func, base, si.line) : xstrdup(si.func);
	}
	if (jstr(f, "symbol", NULL))
		return xstrdup(jstr(f, "symbol", NULL));
	return xasprintf("%s+0x%llx", strrchr(mod, '/') ? strrchr(mod, '/') + 1 : mod,
			 (unsigned long long)off);
}

char *sym_site_name(const cJSON *frames)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, frames)
	{
		const char *mod = jstr(f, "module", "");
		const char *b = strrchr(mod, '/') ? strrchr(mod, '/') + 1 : mod;

		if (!strncmp(b, "lib", 3) && strstr(b, ".so"))
			continue;
		if (!strncmp(b, "ld-linux", 8))
			continue;
		return sym_frame_name(f);
	}
	return NULL;
}
