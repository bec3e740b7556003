/*
 * The span API used directly, found at run time as instrumented code finds
 * it.  outer() runs twice, each time calling inner() three times (2 ms of
 * sleep each); rec() recurses 4 deep; jumper() longjmps out of an open span.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <setjmp.h>
#include <stdio.h>
#include <time.h>

#include "perfshim.h"

static unsigned long (*enter)(struct perfshim_site *);
static void (*leave)(struct perfshim_site *, unsigned long);

static struct perfshim_site s_outer = {"shim_span.c:outer", "shim_span.c", 30, 0};
static struct perfshim_site s_inner = {"shim_span.c:inner", "shim_span.c", 31, 0};
static struct perfshim_site s_rec = {"shim_span.c:rec", "shim_span.c", 32, 0};
static struct perfshim_site s_jump = {"shim_span.c:jumper", "shim_span.c", 33, 0};
static jmp_buf jb;

static void nap(long ms)
{
	struct timespec ts = {0, ms * 1000000L};

	nanosleep(&ts, NULL);
}

static void inner(void)
{
	unsigned long t = enter(&s_inner);

	nap(2);
	leave(&s_inner, t);
}

static void outer(void)
{
	unsigned long t = enter(&s_outer);

	for (int i = 0; i < 3; i++)
		inner();
	nap(1);
	leave(&s_outer, t);
}

static void rec(int n)
{
	unsigned long t = enter(&s_rec);

	nap(1);
	if (n > 1)
		rec(n - 1);
	leave(&s_rec, t);
}

static void jumper(void)
{
	enter(&s_jump); /* never left: longjmp skips the exit */
	longjmp(jb, 1);
}

int main(void)
{
	enter = (unsigned long (*)(struct perfshim_site *))dlsym(RTLD_DEFAULT, "perfshim_span_enter");
	leave = (void (*)(struct perfshim_site *, unsigned long))dlsym(RTLD_DEFAULT,
									"perfshim_span_exit");
	if (!enter || !leave) {
		puts("no shim");
		return 0;
	}
	for (int i = 0; i < 2; i++)
		outer();
	rec(4);
	{
		unsigned long t = enter(&s_outer); /* a third outer() that encloses the jump */

		if (!setjmp(jb))
			jumper();
		leave(&s_outer, t); /* closes the jumper span too */
	}
	puts("done");
	return 0;
}
