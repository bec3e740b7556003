/*
 * The time accounting of a run from the shim's reports; see activity.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "error.h"
#include "jget.h"

int addr_is_local(const char *addr)
{
	return !strncmp(addr, "127.", 4) || !strncmp(addr, "[::1]", 5) ||
	       !strncmp(addr, "unix:", 5) || !strncmp(addr, "localhost", 9) ||
	       !strncmp(addr, "[::ffff:127.", 12);
}

static struct activity *add(struct activities *out)
{
	struct activity *a;

	out->a = realloc(out->a, sizeof(*out->a) * (size_t)(out->n + 1));
	if (!out->a)
		error_msg_and_die("out of memory");
	a = &out->a[out->n++];
	memset(a, 0, sizeof(*a));
	return a;
}

static enum act_kind peer_kind(const char *cls)
{
	if (!strcmp(cls, "postgres") || !strcmp(cls, "mysql") || !strcmp(cls, "mongodb"))
		return A_DB;
	if (!strcmp(cls, "redis") || !strcmp(cls, "memcached"))
		return A_CACHE;
	if (!strcmp(cls, "amqp") || !strcmp(cls, "kafka") || !strcmp(cls, "nats"))
		return A_QUEUE;
	if (!strcmp(cls, "dns"))
		return A_DNS;
	return A_NET;
}

/* A pid's reports: only its last image holds the CPU of the whole process
 * (rusage survives exec), the other counters are per image. */
static int last_image(const struct shim_set *s, int i)
{
	for (int k = 0; k < s->n; k++)
		if (k != i && s->p[k].pid == s->p[i].pid && s->p[k].image > s->p[i].image)
			return 0;
	return 1;
}

void act_build(struct activities *out, const struct shim_set *s, double wall_ms)
{
	memset(out, 0, sizeof(*out));
	out->wall_ms = wall_ms;
	for (int i = 0; s && i < s->n; i++) {
		const struct shim_proc *p = &s->p[i];
		const cJSON *peer, *f;
		struct activity *a;
		/* System time spent inside the I/O calls is already their blocked
		 * time: count only the rest as CPU. */
		double io_ns = jnum(p->j, "io.read.blocked_ns", 0) +
			       jnum(p->j, "io.write.blocked_ns", 0) +
			       jnum(p->j, "net.connect_ns", 0);
		double sys = jnum(p->j, "cpu.sys_ns", 0) - io_ns;
		double cpu = (jnum(p->j, "cpu.user_ns", 0) + (sys > 0 ? sys : 0)) / 1e6;

		if (cpu > 0 && last_image(s, i)) {
			a = add(out);
			a->kind = A_CPU;
			a->owner = p;
			a->ms = cpu;
			snprintf(a->what, sizeof(a->what), "%s (pid %d)", p->exe, p->pid);
		}
		cJSON_ArrayForEach(f, jget(p->j, "io.files"))
		{
			double ms = jnum(f, "blocked_ns", 0) / 1e6;

			if (ms <= 0 && ju64(f, "opens") == 0)
				continue;
			a = add(out);
			a->kind = A_FILE;
			a->owner = p;
			a->ms = ms;
			a->ops = ju64(f, "read_calls") + ju64(f, "write_calls");
			a->connects = ju64(f, "opens");
			a->bytes = ju64(f, "read_bytes") + ju64(f, "write_bytes");
			snprintf(a->what, sizeof(a->what), "%s", jstr(f, "path", "?"));
		}
		cJSON_ArrayForEach(peer, jget(p->j, "net.peers"))
		{
			const char *role = jstr(peer, "role", "client");

			if (strcmp(role, "client"))
				continue;
			/* a fork child lists its parent's peers with nothing counted */
			if (!jnum(peer, "connects", 0) && !jnum(peer, "round_trips", 0) &&
			    !jnum(peer, "send_calls", 0) && !jnum(peer, "recv_calls", 0) &&
			    !jnum(peer, "blocked_ns", 0))
				continue;
			a = add(out);
			snprintf(a->cls, sizeof(a->cls), "%s", jstr(peer, "class", "unknown"));
			a->kind = peer_kind(a->cls);
			a->owner = p;
			a->ms = (jnum(peer, "blocked_ns", 0) + jnum(peer, "connect_ns", 0)) / 1e6;
			a->ops = ju64(peer, "round_trips");
			a->connects = ju64(peer, "connects");
			a->http = ju64(peer, "http_requests");
			a->bytes = ju64(peer, "bytes_sent") + ju64(peer, "bytes_received");
			snprintf(a->what, sizeof(a->what), "%s", jstr(peer, "addr", "?"));
			a->server = shim_find_listener(s, a->what);
			if (a->server && a->server->pid == p->pid)
				a->server = NULL; /* talking to itself */
			a->in_tree = a->server != NULL;
			a->external = !a->in_tree && !addr_is_local(a->what);
		}
		if (jnum(p->j, "net.dns.lookups", 0) > 0) {
			a = add(out);
			a->kind = A_DNS;
			a->owner = p;
			a->ms = jnum(p->j, "net.dns.blocked_ns", 0) / 1e6;
			a->ops = ju64(p->j, "net.dns.lookups");
			snprintf(a->what, sizeof(a->what), "DNS lookups of %s (pid %d)", p->exe,
				 p->pid);
		}
		if (jnum(p->j, "locks.wait_ns", 0) > 0) {
			a = add(out);
			a->kind = A_LOCK;
			a->owner = p;
			a->ms = jnum(p->j, "locks.wait_ns", 0) / 1e6;
			a->ops = ju64(p->j, "locks.contended");
			snprintf(a->what, sizeof(a->what), "%s (pid %d)", p->exe, p->pid);
		}
	}
}

void act_free(struct activities *a)
{
	free(a->a);
	memset(a, 0, sizeof(*a));
}

const struct activity *act_top(const struct activities *a)
{
	const struct activity *best = NULL;

	for (int i = 0; i < a->n; i++)
		if (!best || a->a[i].ms > best->ms)
			best = &a->a[i];
	return best;
}

double act_server_busy(const struct activities *a, const struct shim_proc *server,
		       enum act_kind *kind, const struct activity **largest)
{
	double sum = 0;

	*largest = NULL;
	for (int i = 0; i < a->n; i++) {
		if (a->a[i].owner == NULL || a->a[i].owner->pid != server->pid)
			continue;
		sum += a->a[i].ms;
		if (!*largest || a->a[i].ms > (*largest)->ms)
			*largest = &a->a[i];
	}
	*kind = *largest ? (*largest)->kind : A_CPU;
	return sum;
}

const char *act_class(enum act_kind k)
{
	switch (k) {
	case A_CPU:
		return "CPU";
	case A_FILE:
		return "I/O-File";
	case A_DB:
		return "I/O-DB";
	case A_CACHE:
		return "Cache";
	case A_LOCK:
		return "Architecture";
	case A_NET:
	case A_QUEUE:
	case A_DNS:
	default:
		return "I/O-Network";
	}
}

const char *act_step_type(const struct activity *a)
{
	switch (a->kind) {
	case A_FILE:
		return "file_io";
	case A_DB:
		return "db_query";
	case A_CACHE:
		return "cache_op";
	case A_QUEUE:
		return "queue_op";
	case A_NET:
		return a->http || !strcmp(a->cls, "http") ? "http_call" : "network_call";
	case A_DNS:
		return "network_call";
	default:
		return "function_call";
	}
}
