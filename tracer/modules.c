/*
 * ELF modules and per-process mappings for the recorder (see modules.h).
 *
 * A mapping is matched to its file by path, device and inode, as the kernel
 * reports them in /proc/PID/maps; when the file at that path is no longer the
 * one mapped (replaced or deleted), /proc/PID/map_files gives the original.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <elfutils/libdwelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "modules.h"
#include "tfile.h"

static struct elfmod *mods;
static uint32_t next_id = 1;

struct elfmod *elfmod_list(void)
{
	return mods;
}

/* Reads the program headers and the build-id of m->data. */
static void parse_elf(struct elfmod *m)
{
	Elf *e;
	GElf_Ehdr eh;
	size_t nph;
	const void *bid;
	ssize_t bidlen;

	elf_version(EV_CURRENT);
	e = elf_memory((char *)m->data, m->data_len);
	if (!e)
		return;
	if (!gelf_getehdr(e, &eh) || elf_getphdrnum(e, &nph) < 0)
		goto out;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, i, &ph))
			continue;
		if (ph.p_type == PT_LOAD && m->nload < ELFMOD_MAX_LOAD) {
			m->load[m->nload].vaddr = ph.p_vaddr;
			m->load[m->nload].offset = ph.p_offset;
			m->load[m->nload].filesz = ph.p_filesz;
			m->load[m->nload].memsz = ph.p_memsz;
			m->nload++;
		} else if (ph.p_type == PT_GNU_EH_FRAME) {
			m->eh_hdr_vaddr = ph.p_vaddr;
			m->eh_hdr_size = ph.p_memsz;
		}
	}
	m->elf_ok = m->nload > 0;
	if (m->elf_ok && !m->eh_hdr_size)
		ehframe_build_table(m);
	bidlen = dwelf_elf_gnu_build_id(e, &bid);
	if (bidlen > 0 && (size_t)bidlen <= sizeof(m->build_id)) {
		memcpy(m->build_id, bid, bidlen);
		m->build_id_len = bidlen;
	}
out:
	elf_end(e);
}

static struct elfmod *new_mod(const char *path, int kind)
{
	struct elfmod *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->path = strdup(path);
	if (!m->path) {
		free(m);
		return NULL;
	}
	m->kind = kind;
	m->id = next_id++;
	m->next = mods;
	mods = m;
	return m;
}

/* Opens path, or the map_files entry when path is not the mapped file: an fd or -ENOENT. */
static int open_mapped(pid_t pid, const char *path, uint64_t start, uint64_t end, uint64_t dev,
		       uint64_t ino, struct stat *st)
{
	char alt[96];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && fstat(fd, st) == 0 && st->st_ino == ino && st->st_dev == dev)
		return fd;
	if (fd >= 0)
		close(fd);
	snprintf(alt, sizeof(alt), "/proc/%d/map_files/%llx-%llx", (int)pid,
		 (unsigned long long)start, (unsigned long long)end);
	fd = open(alt, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, st) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -ENOENT;
}

static struct elfmod *file_mod(pid_t pid, const char *path, uint64_t start, uint64_t end,
			       uint64_t dev, uint64_t ino)
{
	struct elfmod *m;
	struct stat st;
	void *p;
	int fd;

	for (m = mods; m; m = m->next)
		if (m->kind == TFM_FILE && m->dev == dev && m->ino == ino && !strcmp(m->path, path))
			return m;
	m = new_mod(path, TFM_FILE);
	if (!m)
		return NULL;
	m->dev = dev;
	m->ino = ino;
	fd = open_mapped(pid, path, start, end, dev, ino, &st);
	if (fd < 0)
		return m; /* known by name only: samples in it keep their addresses */
	m->size = st.st_size;
	m->mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + st.st_mtim.tv_nsec;
	if (st.st_size > 0 && S_ISREG(st.st_mode)) {
		p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			m->data = p;
			m->data_len = st.st_size;
			m->is_mmap = 1;
			parse_elf(m);
		}
	}
	close(fd);
	return m;
}

/* The vdso is the same in every process of one boot: copy it once. */
static struct elfmod *vdso_mod(pid_t pid, uint64_t start, uint64_t end)
{
	struct elfmod *m;
	struct iovec local, remote;
	size_t len = end - start;
	void *buf;

	for (m = mods; m; m = m->next)
		if (m->kind == TFM_VDSO && m->data_len == len)
			return m;
	buf = malloc(len);
	if (!buf)
		return NULL;
	local.iov_base = buf;
	local.iov_len = len;
	remote.iov_base = (void *)(uintptr_t)start;
	remote.iov_len = len;
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)len) {
		free(buf);
		return NULL;
	}
	m = new_mod("[vdso]", TFM_VDSO);
	if (!m) {
		free(buf);
		return NULL;
	}
	m->data = buf;
	m->data_len = len;
	m->size = len;
	parse_elf(m);
	return m;
}

/* ELF address of the first byte of a mapping of file offset pgoff. */
static uint64_t vaddr_of(const struct elfmod *m, uint64_t pgoff)
{
	for (int i = 0; m && i < m->nload; i++) {
		uint64_t off = m->load[i].offset & ~4095ull;

		if (pgoff >= off && pgoff < m->load[i].offset + m->load[i].filesz)
			return pgoff - off + (m->load[i].vaddr & ~4095ull);
	}
	return pgoff;
}

static uint32_t parse_prot(const char *perm)
{
	return (perm[0] == 'r' ? PROT_READ : 0) | (perm[1] == 'w' ? PROT_WRITE : 0) |
	       (perm[2] == 'x' ? PROT_EXEC : 0);
}

int vmas_load(struct vmas *out, pid_t pid)
{
	char path[64], line[4096 + 256];
	struct vma *v = NULL;
	size_t n = 0, cap = 0;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, pgoff, ino;
		unsigned int maj, min;
		char perm[8];
		int off = 0;
		struct vma *cur;
		char *name, *nl;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perm, &pgoff,
			   &maj, &min, &ino, &off) < 7)
			continue;
		name = line + off;
		nl = strchr(name, '\n');
		if (nl)
			*nl = 0;
		if (n == cap) {
			struct vma *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!nv) {
				err = -ENOMEM;
				goto out;
			}
			v = nv;
		}
		cur = &v[n++];
		memset(cur, 0, sizeof(*cur));
		cur->start = start;
		cur->end = end;
		cur->pgoff = pgoff;
		cur->prot = parse_prot(perm);
		if (name[0] == '/' && ino) {
			size_t len = strlen(name);

			if (len > 10 && !strcmp(name + len - 10, " (deleted)"))
				name[len - 10] = 0;
			cur->mod = file_mod(pid, name, start, end, makedev(maj, min), ino);
		} else if (!strcmp(name, "[vdso]")) {
			cur->mod = vdso_mod(pid, start, end);
		}
		cur->vaddr = cur->mod ? vaddr_of(cur->mod, pgoff) : pgoff;
	}
	if (ferror(f))
		err = -EIO;
	if (!n && !err)
		err = -ESRCH; /* a zombie or a kernel thread has no mappings */
out:
	fclose(f);
	if (err) {
		free(v);
		return err;
	}
	free(out->v);
	out->v = v;
	out->n = n;
	return 0;
}

void vmas_free(struct vmas *m)
{
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

const struct vma *vmas_find(const struct vmas *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}

int vmas_read(const struct vmas *m, uint64_t addr, void *out, size_t len)
{
	const struct vma *v = vmas_find(m, addr);
	uint64_t off;

	if (!v || !v->mod || !v->mod->data || addr + len > v->end)
		return -EFAULT;
	off = addr - v->start + v->pgoff;
	if (off + len > v->mod->data_len)
		return -EFAULT;
	memcpy(out, v->mod->data + off, len);
	return 0;
}

void elfmod_free_all(void)
{
	while (mods) {
		struct elfmod *m = mods;

		mods = m->next;
		if (m->is_mmap)
			munmap((void *)m->data, m->data_len);
		else
			free((void *)m->data);
		free(m->fde_table);
		free(m->path);
		free(m);
	}
	next_id = 1;
}
