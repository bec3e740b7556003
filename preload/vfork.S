/*
 * vfork for the shim.  Like glibc's: the return address is kept in a
 * register across the syscall, because the child runs on (and returns
 * through) its parent's stack.  Before the syscall the thread is marked as a
 * vfork child in the shim's TLS (shim_tls.vfork_child, at offset 8, and
 * shim_tls.busy, at offset 0, raised) so that hooks called by the child pass
 * through, and the child starts with no signal taken over from the shim
 * (shim_tls.vfork_disowned, at offset 16); the parent clears the mark when
 * it resumes, after the child has exec'd or exited.
 */
	.text
	.globl	vfork
	.type	vfork, @function
vfork:
	movq	shim_tls@GOTTPOFF(%rip), %rcx
	movl	$1, %fs:8(%rcx)
	movq	$0, %fs:16(%rcx)
	addl	$1, %fs:0(%rcx)
	popq	%rdi
	movl	$58, %eax		/* SYS_vfork */
	syscall
	pushq	%rdi
	testl	%eax, %eax
	jz	1f			/* child: keep the mark */
	movq	shim_tls@GOTTPOFF(%rip), %rcx
	movl	$0, %fs:8(%rcx)
	subl	$1, %fs:0(%rcx)
	cmpl	$-4095, %eax
	jae	2f
1:	ret
2:	negl	%eax
	movl	%eax, %edi
	jmp	shim_vfork_fail
	.size	vfork, .-vfork
	.section .note.GNU-stack,"",@progbits
