/*
 * A flame graph (icicle: callers on top) of the sampled call tree as SVG,
 * coloured by what the time under each frame was mostly spent on.  Used
 * inline in report.html, and as flamegraph.svg when perftrace cannot draw
 * its own.  No script: a <title> per frame is the tooltip.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "writers.h"
#include "trace.h"

#define WIDTH	  1200.0
#define ROW	  17
#define MAX_DEPTH 64

static const char *const colors[T_NSTATES] = {
    "#e8743b", /* cpu */
    "#4c8fd6", /* io_file */
    "#8e63c9", /* io_net */
    "#d64c4c", /* lock */
    "#a8a8a8", /* sleep */
    "#cfcfcf", /* other */
};

static int max_depth(const struct tnode *n, int d)
{
	int m = d;

	if (d >= MAX_DEPTH)
		return d;
	for (int i = 0; i < n->nkids; i++) {
		int k = max_depth(n->kids[i], d + 1);

		if (k > m)
			m = k;
	}
	return m;
}

static void frame(struct strbuf *sb, const struct tnode *n, double x, double scale, int depth)
{
	double w = n->total * scale, share, cx = x;
	enum tstate d = tnode_dominant(n, &share);

	if (w < 0.5 || depth > MAX_DEPTH)
		return;
	sb_puts(sb, "<g><title>");
	sb_put_xml(sb, n->name ? n->name : "?");
	if (n->module) {
		sb_puts(sb, " (");
		sb_put_xml(sb, n->module);
		sb_puts(sb, ")");
	}
	sb_printf(sb, " - %.0f samples, %.1f%%", n->total, n->total * scale / WIDTH * 100.0);
	for (int i = 0; i < T_NSTATES; i++)
		if (n->st[i] > 0)
			sb_printf(sb, ", %s %.0f%%", tstate_names[i], n->st[i] / n->total * 100.0);
	sb_printf(sb,
		  "</title><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
		  "fill=\"%s\" rx=\"2\"/>",
		  x, depth * ROW, w, ROW - 1, colors[d]);
	if (w > 30) {
		size_t maxc = (size_t)((w - 6) / 7);
		char label[256];

		snprintf(label, sizeof(label), "%s", n->name ? n->name : "?");
		if (strlen(label) > maxc && maxc >= 3) {
			label[maxc - 2] = '.';
			label[maxc - 1] = '.';
			label[maxc] = 0;
		} else if (strlen(label) > maxc) {
			label[0] = 0;
		}
		sb_printf(sb, "<text x=\"%.1f\" y=\"%d\">", x + 3, depth * ROW + 12);
		sb_put_xml(sb, label);
		sb_puts(sb, "</text>");
	}
	sb_puts(sb, "</g>\n");
	for (int i = 0; i < n->nkids; i++) {
		frame(sb, n->kids[i], cx, scale, depth + 1);
		cx += n->kids[i]->total * scale;
	}
}

int flame_svg(const struct prof *p, struct strbuf *out, int standalone)
{
	const struct tindex *t = trace_get(p);
	int depth, h;

	if (!t || !t->root || t->root->total <= 0)
		return -ENOENT;
	depth = max_depth(t->root, 0) + 1;
	h = depth * ROW + 24;
	if (standalone)
		sb_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	sb_printf(out,
		  "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flame\" width=\"%.0f\" "
		  "height=\"%d\" viewBox=\"0 0 %.0f %d\" font-family=\"monospace\" "
		  "font-size=\"11\">\n",
		  WIDTH, h, WIDTH, h);
	sb_puts(out, "<style>text{fill:#111;pointer-events:none}rect:hover{stroke:#000}</style>\n");
	frame(out, t->root, 0, WIDTH / t->root->total, 0);
	{
		double x = 0;

		for (int i = 0; i < T_NSTATES; i++) {
			sb_printf(
			    out,
			    "<rect x=\"%.0f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			    "<text x=\"%.0f\" y=\"%d\">%s</text>\n",
			    x, h - 14, colors[i], x + 16, h - 4, tstate_names[i]);
			x += 90;
		}
	}
	sb_puts(out, "</svg>\n");
	return 0;
}
