/* SPDX-License-Identifier: MIT */
/* A stand-in for a glibc older than 2.34 as unit_attach reads it: it
 * exports __libc_dlopen_mode but no dlopen, and holds the signal restorer's
 * bytes (mov $15, %rax; syscall). Never loaded, only read as an ELF file. */
void *__libc_dlopen_mode(const char *name, int mode);
void *__libc_dlopen_mode(const char *name, int mode)
{
	(void)name;
	(void)mode;
	return 0;
}
__asm__(".text\n.globl tm_old_restorer\ntm_old_restorer:\n"
	".byte 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05\n");
