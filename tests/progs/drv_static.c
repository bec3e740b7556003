/*
 * A statically linked target: LD_PRELOAD cannot reach it.  Writes one
 * line and exits 0.
 */
#include <unistd.h>

int main(void)
{
	return write(1, "static\n", 7) == 7 ? 0 : 1;
}
