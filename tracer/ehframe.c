/*
 * A search table for modules that have .eh_frame but no .eh_frame_hdr
 * (static executables: gcc links them without --eh-frame-hdr).  Walks the
 * CIEs and FDEs once and builds the table .eh_frame_hdr would have held:
 * sorted (initial location, FDE address) pairs, both relative to the
 * section's address so that the table does not depend on where the module
 * was loaded.  The unwinder serves it to libunwind through access_mem.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "modules.h"

#define DW_EH_PE_omit	 0xff
#define DW_EH_PE_absptr	 0x00
#define DW_EH_PE_uleb128 0x01
#define DW_EH_PE_udata2	 0x02
#define DW_EH_PE_udata4	 0x03
#define DW_EH_PE_udata8	 0x04
#define DW_EH_PE_sleb128 0x09
#define DW_EH_PE_sdata2	 0x0a
#define DW_EH_PE_sdata4	 0x0b
#define DW_EH_PE_sdata8	 0x0c
#define DW_EH_PE_pcrel	 0x10

struct rd {
	const unsigned char *p, *end;
	int bad;
};

static uint64_t uleb(struct rd *r)
{
	uint64_t v = 0;
	int shift = 0;

	while (r->p < r->end) {
		unsigned char b = *r->p++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
	}
	r->bad = 1;
	return 0;
}

static uint64_t sleb(struct rd *r)
{
	const unsigned char *start = r->p;
	uint64_t v = uleb(r);
	int bits = 7 * (int)(r->p - start);

	/* sign-extend from the last byte's bit 6 */
	if (!r->bad && bits < 64 && (r->p[-1] & 0x40))
		v |= ~0ull << bits;
	return v;
}

static void skip(struct rd *r, size_t n)
{
	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		r->p = r->end;
	} else {
		r->p += n;
	}
}

static uint64_t fixed(struct rd *r, size_t n, int sign)
{
	uint64_t v = 0;

	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return 0;
	}
	memcpy(&v, r->p, n);
	r->p += n;
	if (sign && n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~0ull << (8 * n);
	return v;
}

/* An encoded pointer; `at` is the section vaddr of r->p (for pcrel). */
static uint64_t encoded(struct rd *r, unsigned char enc, uint64_t at)
{
	uint64_t v;

	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
		v = fixed(r, 8, 0);
		break;
	case DW_EH_PE_uleb128:
		v = uleb(r);
		break;
	case DW_EH_PE_udata2:
		v = fixed(r, 2, 0);
		break;
	case DW_EH_PE_udata4:
		v = fixed(r, 4, 0);
		break;
	case DW_EH_PE_udata8:
		v = fixed(r, 8, 0);
		break;
	case DW_EH_PE_sleb128:
		v = sleb(r);
		break;
	case DW_EH_PE_sdata2:
		v = fixed(r, 2, 1);
		break;
	case DW_EH_PE_sdata4:
		v = fixed(r, 4, 1);
		break;
	case DW_EH_PE_sdata8:
		v = fixed(r, 8, 1);
		break;
	default:
		r->bad = 1;
		return 0;
	}
	if ((enc & 0x70) == DW_EH_PE_pcrel)
		v += at;
	return v;
}

/* The FDE pointer encoding of the CIE at p (its 'R' augmentation), or -1. */
static int cie_encoding(const unsigned char *p, const unsigned char *end, uint64_t vaddr)
{
	struct rd r = {p, end, 0};
	const char *aug;
	int version, enc = DW_EH_PE_absptr;

	version = (int)fixed(&r, 1, 0);
	aug = (const char *)r.p;
	while (r.p < r.end && *r.p)
		r.p++;
	skip(&r, 1);
	if (version == 4)
		skip(&r, 2); /* address and segment sizes */
	uleb(&r);	     /* code alignment */
	uleb(&r);	     /* data alignment */
	if (version == 1)
		skip(&r, 1);
	else
		uleb(&r); /* return address register */
	if (aug[0] != 'z')
		return r.bad ? -1 : enc;
	uleb(&r); /* augmentation length */
	for (const char *a = aug + 1; *a && !r.bad; a++) {
		if (*a == 'R') {
			enc = (int)fixed(&r, 1, 0);
		} else if (*a == 'L') {
			skip(&r, 1);
		} else if (*a == 'P') {
			unsigned char penc = (unsigned char)fixed(&r, 1, 0);

			encoded(&r, penc, vaddr + (r.p - p));
		} else if (*a != 'S' && *a != 'B') {
			return -1;
		}
	}
	return r.bad ? -1 : enc;
}

static int cmp_entry(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

int ehframe_build_table(struct elfmod *m)
{
	Elf *e;
	Elf_Scn *scn = NULL;
	size_t shstrndx, n = 0, cap = 0;
	GElf_Shdr sh;
	int32_t *tab = NULL;
	const unsigned char *base = NULL, *p, *end;
	uint64_t sec_vaddr = 0;
	int err = -ENOENT;

	elf_version(EV_CURRENT);
	e = elf_memory((char *)m->data, m->data_len);
	if (!e)
		return -EINVAL;
	if (elf_getshdrstrndx(e, &shstrndx) < 0)
		goto out;
	while ((scn = elf_nextscn(e, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".eh_frame") &&
		    sh.sh_offset + sh.sh_size <= m->data_len) {
			base = m->data + sh.sh_offset;
			sec_vaddr = sh.sh_addr;
			break;
		}
	}
	if (!base)
		goto out;
	p = base;
	end = base + sh.sh_size;
	while (end - p >= 4) {
		struct rd r = {p, end, 0};
		uint64_t len = fixed(&r, 4, 0), id, start;
		const unsigned char *body, *next;
		int enc;

		if (len == 0)
			break; /* terminator */
		if (len == 0xffffffff)
			len = fixed(&r, 8, 0);
		body = r.p;
		if (r.bad || len > (uint64_t)(end - body))
			break;
		next = body + len;
		id = fixed(&r, 4, 0);
		if (id != 0) {
			/* an FDE: id is the distance from this field back to its CIE */
			const unsigned char *cie = body - id;

			if (cie < base || cie + 8 > end)
				goto next;
			{
				struct rd cr = {cie, end, 0};
				uint64_t clen = fixed(&cr, 4, 0);

				/* the CIE's body: its id (0), then its version */
				if (clen == 0xffffffff || clen < 4 ||
				    clen > (uint64_t)(end - cie - 4))
					goto next;
				enc = cie_encoding(cie + 8, cie + 4 + clen,
						   sec_vaddr + (cie + 8 - base));
			}
			if (enc < 0 || enc == DW_EH_PE_omit)
				goto next;
			start = encoded(&r, (unsigned char)enc, sec_vaddr + (r.p - base));
			if (r.bad)
				goto next;
			if (n + 2 > cap) {
				int32_t *nt =
				    realloc(tab, (cap = cap ? cap * 2 : 512) * sizeof(*tab));

				if (!nt) {
					err = -ENOMEM;
					goto out;
				}
				tab = nt;
			}
			tab[n++] = (int32_t)(start - sec_vaddr);
			tab[n++] = (int32_t)(p - base);
		}
	next:
		p = next;
	}
	if (!n)
		goto out;
	qsort(tab, n / 2, 2 * sizeof(*tab), cmp_entry);
	m->fde_table = tab;
	m->fde_count = n / 2;
	m->eh_frame_vaddr = sec_vaddr;
	tab = NULL;
	err = 0;
out:
	free(tab);
	elf_end(e);
	return err;
}
