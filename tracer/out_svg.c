/*
 * perftrace report --format svg: a self-contained interactive flame graph of
 * the call tree (processes at the bottom, then root to leaf), one box per
 * node, as wide as its samples.  Boxes are coloured by the state that
 * dominates the node's samples (on CPU warm, file I/O blue, network teal,
 * lock purple, sleep grey, other yellow), so a wall-clock profile shows where
 * time was spent waiting.  Hover shows a node's samples and state breakdown,
 * a click zooms into it, "Search" highlights the functions matching a
 * regular expression and says what share of all samples they hold.
 * The script is inline; the file needs nothing else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define WIDTH	 1200
#define ROW	 17
#define TOP	 56
#define MIN_FRAC 0.0004 /* boxes narrower than this share are left out */

static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			if ((unsigned char)*s >= 0x20)
				fputc(*s, f);
		}
	}
}

static int depth_of(const struct agg *a, uint32_t idx)
{
	int best = 0;

	for (uint32_t c = a->nodes[idx].first_child; c != UINT32_MAX;
	     c = a->nodes[c].next_sibling) {
		int d = depth_of(a, c);

		if (d > best)
			best = d;
	}
	return best + 1;
}

static const char *colour(const struct tnode *n, const char *name)
{
	static char buf[32];
	static const int hue[TS_NR] = {18, 215, 175, 280, 0, 50};
	int best = 0;
	unsigned int h = 0;

	for (int s = 1; s < TS_NR; s++)
		if (n->states[s] > n->states[best])
			best = s;
	for (const char *p = name; *p; p++)
		h = h * 31 + (unsigned char)*p;
	if (best == TS_SLEEP)
		snprintf(buf, sizeof(buf), "hsl(0,0%%,%d%%)", 62 + h % 18);
	else
		snprintf(buf, sizeof(buf), "hsl(%d,%d%%,%d%%)", hue[best] + (int)(h % 16),
			 55 + h % 30, 52 + h % 14);
	return buf;
}

static void node(FILE *f, const struct profile *p, const struct agg *a, uint32_t idx, double x,
		 int depth, int height)
{
	const struct tnode *n = &a->nodes[idx];
	double w = (double)n->total / a->nodes[0].total * WIDTH, cx = x;
	char label[512];

	if (n->total < MIN_FRAC * a->nodes[0].total)
		return;
	node_label(p, n, label, sizeof(label));
	fprintf(f,
		"<g class=\"f\" data-x=\"%.3f\" data-w=\"%.3f\" data-d=\"%d\" data-n=\"%llu\" "
		"data-s=\"%llu\"",
		x, w, depth, (unsigned long long)n->total, (unsigned long long)n->self);
	fprintf(f, " data-st=\"");
	for (int s = 0; s < TS_NR; s++)
		fprintf(f, "%s%llu", s ? "," : "", (unsigned long long)n->states[s]);
	fprintf(f, "\" data-l=\"");
	put_escaped(f, label);
	fprintf(f, "\"><title>");
	put_escaped(f, label);
	if (n->func != UINT32_MAX && p->funcs[n->func].file) {
		fprintf(f, " (");
		put_escaped(f, p->funcs[n->func].file);
		fprintf(f, ":%d)", p->funcs[n->func].line);
	}
	fprintf(f,
		"</title><rect x=\"%.3f\" y=\"%d\" width=\"%.3f\" height=\"%d\" fill=\"%s\"/>"
		"<text x=\"%.3f\" y=\"%d\"></text></g>\n",
		x, TOP + (height - 1 - depth) * ROW, w, ROW - 1, colour(n, label), x + 3,
		TOP + (height - 1 - depth) * ROW + ROW - 5);
	for (uint32_t c = n->first_child; c != UINT32_MAX; c = a->nodes[c].next_sibling) {
		node(f, p, a, c, cx, depth + 1, height);
		cx += (double)a->nodes[c].total / a->nodes[0].total * WIDTH;
	}
}

static const char script[] =
    "var S=['cpu','io_file','io_net','lock','sleep','other'];\n"
    "var "
    "gs=[].slice.call(document.querySelectorAll('g.f')),W=1200,info=document.getElementById('info')"
    ";\n"
    "var total=gs.length?+gs[0].dataset.n:0;\n"
    "function label(g){return g.dataset.l;}\n"
    "function fit(g){var "
    "r=g.querySelector('rect'),t=g.querySelector('text'),w=+r.getAttribute('width'),"
    "s=label(g),n=Math.floor((w-6)/7);t.textContent=n<3?'':(s.length<=n?s:s.slice(0,n-2)+'..');}\n"
    "function show(g){var st=g.dataset.st.split(','),n=+g.dataset.n,o=[];"
    "for(var i=0;i<6;i++)if(+st[i])o.push(S[i]+' '+(100*st[i]/n).toFixed(1)+'%');"
    "info.textContent=g.querySelector('title').textContent+': '+n+' samples "
    "('+(100*n/total).toFixed(2)+'%), self '+g.dataset.s+"
    "'; '+o.join(', ');}\n"
    "function zoom(z){var x0=+z.dataset.x,w0=+z.dataset.w,d0=+z.dataset.d;gs.forEach(function(g){"
    "var "
    "x=+g.dataset.x,w=+g.dataset.w,d=+g.dataset.d,r=g.querySelector('rect'),t=g.querySelector('"
    "text'),"
    "inside=x>=x0-1e-6&&x+w<=x0+w0+1e-6;var "
    "nx,nw;if(d<d0){if(x>x0+1e-6||x+w<x0+w0-1e-6){g.style.display='none';return;}nx=0;nw=W;g.style."
    "opacity=0.6;}"
    "else "
    "if(inside){nx=(x-x0)*W/w0;nw=w*W/w0;g.style.opacity=1;}else{g.style.display='none';return;}"
    "g.style.display='';r.setAttribute('x',nx);r.setAttribute('width',nw);t.setAttribute('x',nx+3);"
    "fit(g);});}\n"
    "gs.forEach(function(g){fit(g);g.onmouseover=function(){show(g);};"
    "g.onclick=function(){zoom(g);};});\n"
    "document.getElementById('reset').onclick=function(){if(gs.length)zoom(gs[0]);};\n"
    "document.getElementById('search').onclick=function(){var q=prompt('Search (regular "
    "expression)');"
    "if(q===null)return;var re;try{re=new RegExp(q);}catch(e){info.textContent='bad "
    "expression';return;}"
    "var m=0,seen=[];gs.forEach(function(g){var r=g.querySelector('rect');if(q&&re.test(label(g))){"
    "if(!r.dataset.f)r.dataset.f=r.getAttribute('fill');r.setAttribute('fill','rgb(230,0,230)');"
    "var x=+g.dataset.x,w=+g.dataset.w;if(!seen.some(function(s){return "
    "x>=s[0]-1e-6&&x+w<=s[0]+s[1]+1e-6;})){"
    "seen.push([x,w]);m+=+g.dataset.n;}}else "
    "if(r.dataset.f){r.setAttribute('fill',r.dataset.f);}});"
    "info.textContent=q?'matched '+(100*m/total).toFixed(2)+'% of all samples':'';};\n";

int report_svg(FILE *f, struct profile *p, struct agg *a, const struct report_opts *o)
{
	int height = a->nodes[0].total ? depth_of(a, 0) : 1;
	int h = TOP + height * ROW + 24;

	fprintf(f,
		"<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n",
		WIDTH, h, WIDTH, h);
	fprintf(f,
		"<style>text{font:12px monospace;pointer-events:none}g.f:hover rect"
		"{stroke:#000;stroke-width:0.5}#reset,#search{cursor:pointer;fill:#225}</style>\n");
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#f8f8f4\"/>\n");
	fprintf(f,
		"<text x=\"%d\" y=\"20\" text-anchor=\"middle\" style=\"font-size:16px\">"
		"perftrace wall-clock flame graph: ",
		WIDTH / 2);
	put_escaped(f, o->input);
	fprintf(f, " (%llu samples, %u Hz per thread)</text>\n", (unsigned long long)a->samples,
		p->hdr.hz);
	fprintf(f, "<text x=\"10\" y=\"40\">colour: dominant state (cpu warm, io_file blue, io_net "
		   "teal, lock purple, sleep grey, other yellow)</text>\n");
	fprintf(f,
		"<text id=\"reset\" x=\"%d\" y=\"40\">Reset zoom</text>"
		"<text id=\"search\" x=\"%d\" y=\"40\">Search</text>\n",
		WIDTH - 160, WIDTH - 60);
	fprintf(f, "<text id=\"info\" x=\"10\" y=\"%d\"> </text>\n", h - 8);
	if (a->nodes[0].total)
		node(f, p, a, 0, 0, 0, height);
	fprintf(f, "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n</svg>\n", script);
	return ferror(f) ? -EIO : 0;
}
