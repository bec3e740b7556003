/*
 * libunwind accessors over a stack copy (see unwind.h).
 *
 * libunwind-ptrace's stock accessors read the target one word per
 * PTRACE_PEEKDATA and re-read ELF files for every lookup; here every read is
 * a memcpy, either from the stack copy or from the module files perftrace
 * keeps mapped, and the search table is the binary-search table of
 * .eh_frame_hdr, which libunwind walks through access_mem.
 */
#include <errno.h>
#include <libunwind.h>
#include <stddef.h>
#include <string.h>

#include "compiler.h"
#include "unwind.h"

/* Exported by libunwind, not declared in its public headers. */
extern int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t as, unw_word_t ip,
					      unw_dyn_info_t *di, unw_proc_info_t *pi,
					      int need_unwind_info, void *arg);

#define DW_EH_PE_udata4	 0x03
#define DW_EH_PE_sdata4	 0x0b
#define DW_EH_PE_pcrel	 0x10
#define DW_EH_PE_datarel 0x30

/*
 * Tables built by ehframe.c live at made-up addresses that no process can
 * map (the upper half of the address space is the kernel's): bit 63, the
 * module id, and the offset in the table.
 */
#define FAKE_BIT      (1ull << 63)
#define FAKE_ADDR(id) (FAKE_BIT | (uint64_t)(id) << 32)

static int read_fake(const struct unwind_input *in, uint64_t addr, void *out, size_t len)
{
	uint32_t id = (uint32_t)((addr & ~FAKE_BIT) >> 32);
	uint64_t off = addr & 0xffffffffull, size;

	for (size_t i = 0; i < in->vmas->n; i++) {
		const struct elfmod *m = in->vmas->v[i].mod;

		if (!m || m->id != id || !m->fde_table)
			continue;
		size = m->fde_count * 8;
		if (off >= size)
			return -EFAULT;
		/* libunwind reads whole aligned words: the last one is zero-padded */
		memset(out, 0, len);
		memcpy(out, (const char *)m->fde_table + off, MIN(len, size - off));
		return 0;
	}
	return -EFAULT;
}

static int read_mem(const struct unwind_input *in, uint64_t addr, void *out, size_t len)
{
	if (addr >= in->stack_start && addr - in->stack_start + len <= in->stack_len) {
		memcpy(out, in->stack + (addr - in->stack_start), len);
		return 0;
	}
	if (addr & FAKE_BIT)
		return read_fake(in, addr, out, len);
	return vmas_read(in->vmas, addr, out, len);
}

static int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
			  int need_unwind_info, void *arg)
{
	const struct unwind_input *in = arg;
	const struct vma *v = vmas_find(in->vmas, ip);
	unsigned char hdr[12];
	uint64_t hdr_addr;
	uint32_t fde_count;
	unw_dyn_info_t di;

	if (!v || !v->mod)
		return -UNW_ENOINFO;
	memset(&di, 0, sizeof(di));
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.start_ip = v->start;
	di.end_ip = v->end;
	if (!v->mod->eh_hdr_size) {
		if (!v->mod->fde_table)
			return -UNW_ENOINFO;
		di.u.rti.segbase = v->mod->eh_frame_vaddr + (v->start - v->vaddr);
		di.u.rti.table_data = FAKE_ADDR(v->mod->id);
		di.u.rti.table_len = v->mod->fde_count * 8 / sizeof(unw_word_t);
		return UNW_OBJ(dwarf_search_unwind_table)(as, ip, &di, pi, need_unwind_info, arg);
	}
	hdr_addr = v->mod->eh_hdr_vaddr + (v->start - v->vaddr);
	if (read_mem(in, hdr_addr, hdr, sizeof(hdr)) < 0)
		return -UNW_ENOINFO;
	/* version 1, eh_frame_ptr pcrel|sdata4, fde_count udata4, table datarel|sdata4 */
	if (hdr[0] != 1 || hdr[1] != (DW_EH_PE_pcrel | DW_EH_PE_sdata4) ||
	    hdr[2] != DW_EH_PE_udata4 || hdr[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
		return -UNW_ENOINFO;
	memcpy(&fde_count, hdr + 8, sizeof(fde_count));
	di.u.rti.segbase = hdr_addr;
	di.u.rti.table_data = hdr_addr + 12;
	/* table entries are two int32 each; table_len counts unw_word_t */
	di.u.rti.table_len = (uint64_t)fde_count * 8 / sizeof(unw_word_t);
	return UNW_OBJ(dwarf_search_unwind_table)(as, ip, &di, pi, need_unwind_info, arg);
}

static void put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	/* libunwind frees the table-format info it allocated itself. */
	(void)as;
	(void)pi;
	(void)arg;
}

static int get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *dilap, void *arg)
{
	(void)as;
	(void)dilap;
	(void)arg;
	return -UNW_ENOINFO;
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *valp, int write, void *arg)
{
	(void)as;
	if (write)
		return -UNW_EINVAL;
	return read_mem(arg, addr, valp, sizeof(*valp)) < 0 ? -UNW_EINVAL : 0;
}

/* Where each of libunwind's x86-64 registers is in the ptrace register set. */
static const size_t reg_offset[] = {
    [UNW_X86_64_RAX] = offsetof(struct user_regs_struct, rax),
    [UNW_X86_64_RDX] = offsetof(struct user_regs_struct, rdx),
    [UNW_X86_64_RCX] = offsetof(struct user_regs_struct, rcx),
    [UNW_X86_64_RBX] = offsetof(struct user_regs_struct, rbx),
    [UNW_X86_64_RSI] = offsetof(struct user_regs_struct, rsi),
    [UNW_X86_64_RDI] = offsetof(struct user_regs_struct, rdi),
    [UNW_X86_64_RBP] = offsetof(struct user_regs_struct, rbp),
    [UNW_X86_64_RSP] = offsetof(struct user_regs_struct, rsp),
    [UNW_X86_64_R8] = offsetof(struct user_regs_struct, r8),
    [UNW_X86_64_R9] = offsetof(struct user_regs_struct, r9),
    [UNW_X86_64_R10] = offsetof(struct user_regs_struct, r10),
    [UNW_X86_64_R11] = offsetof(struct user_regs_struct, r11),
    [UNW_X86_64_R12] = offsetof(struct user_regs_struct, r12),
    [UNW_X86_64_R13] = offsetof(struct user_regs_struct, r13),
    [UNW_X86_64_R14] = offsetof(struct user_regs_struct, r14),
    [UNW_X86_64_R15] = offsetof(struct user_regs_struct, r15),
    [UNW_X86_64_RIP] = offsetof(struct user_regs_struct, rip),
};

static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *valp, int write, void *arg)
{
	const struct unwind_input *in = arg;

	(void)as;
	if (write)
		return -UNW_EREADONLYREG;
	if (reg < 0 || (size_t)reg >= ARRAY_SIZE(reg_offset))
		return -UNW_EBADREG;
	memcpy(valp, (const char *)in->regs + reg_offset[reg], sizeof(*valp));
	return 0;
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write,
			void *arg)
{
	(void)as;
	(void)reg;
	(void)val;
	(void)write;
	(void)arg;
	return -UNW_EBADREG;
}

static int resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	(void)as;
	(void)c;
	(void)arg;
	return -UNW_EINVAL;
}

static int get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len,
			 unw_word_t *offp, void *arg)
{
	(void)as;
	(void)addr;
	(void)buf;
	(void)len;
	(void)offp;
	(void)arg;
	return -UNW_ENOINFO; /* names are the report's job */
}

static unw_accessors_t accessors = {
    .find_proc_info = find_proc_info,
    .put_unwind_info = put_unwind_info,
    .get_dyn_info_list_addr = get_dyn_info_list_addr,
    .access_mem = access_mem,
    .access_reg = access_reg,
    .access_fpreg = access_fpreg,
    .resume = resume,
    .get_proc_name = get_proc_name,
};

int unwinder_init(struct unwinder *u)
{
	unw_addr_space_t as = unw_create_addr_space(&accessors, 0);

	if (!as)
		return -ENOMEM;
	unw_set_caching_policy(as, UNW_CACHE_GLOBAL);
	u->as = as;
	return 0;
}

void unwinder_flush(struct unwinder *u)
{
	if (u->as)
		unw_flush_cache(u->as, 0, 0);
}

void unwinder_destroy(struct unwinder *u)
{
	if (u->as)
		unw_destroy_addr_space(u->as);
	u->as = NULL;
}

int unwind_stack(struct unwinder *u, const struct unwind_input *in, uint64_t *pcs, int max,
		 int *truncated, uint32_t *ra_off)
{
	unw_cursor_t c;
	int n = 0, ret;

	*truncated = 0;
	pcs[n++] = in->regs->rip;
	if (unw_init_remote(&c, u->as, (void *)in) < 0) {
		*truncated = 1;
		return n;
	}
	while (n < max) {
		unw_word_t ip, sp, prev_sp;

		unw_get_reg(&c, UNW_REG_SP, &prev_sp);
		ret = unw_step(&c);
		if (ret == 0)
			return n;
		if (ret < 0)
			break;
		if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || ip == 0)
			return n;
		/* A return address outside executable memory is a broken unwind. */
		{
			const struct vma *v = vmas_find(in->vmas, ip);

			if (!v) {
				*truncated = 2;
				return n;
			}
			if (!(v->prot & 4 /* PROT_EXEC */))
				break;
		}
		unw_get_reg(&c, UNW_REG_SP, &sp);
		/* A stack that does not grow towards the root is a broken unwind. */
		if (sp <= prev_sp && n > 1)
			break;
		if (ra_off) {
			/* a call pushed the return address just below the caller's sp */
			uint64_t slot = sp - 8, word;

			ra_off[n] = UINT32_MAX;
			if (slot >= in->stack_start &&
			    slot - in->stack_start + 8 <= in->stack_len) {
				memcpy(&word, in->stack + (slot - in->stack_start), 8);
				if (word == ip)
					ra_off[n] = (uint32_t)(slot - in->stack_start);
			}
		}
		pcs[n++] = ip;
	}
	*truncated = 1;
	return n;
}
