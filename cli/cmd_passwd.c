/*
 * cmd_passwd.c: hash-password: turns an MPS password into the salted hash
 * the devices file stores (mps_password_hash).  Needs no daemon.
 *
 * The password comes from stdin: piped (`echo -n 'secret' | ...`, one
 * trailing newline is dropped so `echo secret |` works too) or typed at a
 * terminal without echo, twice.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "mps_err.h"
#include "passwd.h"

/* Far above AMT's 16 characters, small enough to reject junk input. */
#define CMD_PASSWD_MAX		1024
#define CMD_PASSWD_AMT_MIN	8
#define CMD_PASSWD_AMT_MAX	16

static struct termios	cmd_passwd_saved;
static volatile sig_atomic_t cmd_passwd_echo_off;

/* Puts echo back before dying of a signal typed at the prompt. */
static void
cmd_passwd_signal(int sig)
{
	if (cmd_passwd_echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &cmd_passwd_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Reads all of stdin into buf.  0, MPS_ERR_TOO_LARGE or MPS_ERR_IO. */
static int
cmd_passwd_read_pipe(char *buf, size_t cap, size_t *len)
{
	ssize_t n;

	*len = 0;
	for (;;) {
		if (*len == cap)
			return MPS_ERR_TOO_LARGE;
		n = read(STDIN_FILENO, buf + *len, cap - *len);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return MPS_ERR_IO;
		}
		*len += (size_t)n;
	}
	/* One trailing newline is the shell's, not the password's. */
	if (*len > 0 && buf[*len - 1] == '\n')
		(*len)--;
	if (*len > 0 && buf[*len - 1] == '\r')
		(*len)--;
	return 0;
}

/*
 * Prompts on stderr and reads one line from the terminal with echo off.
 * 0, MPS_ERR_TOO_LARGE, MPS_ERR_CLOSED (EOF) or MPS_ERR_IO.
 */
static int
cmd_passwd_prompt(const char *prompt, char *buf, size_t cap, size_t *len)
{
	struct termios noecho;
	struct sigaction sa, old[3];
	static const int sigs[3] = { SIGINT, SIGTERM, SIGQUIT };
	int rv = 0, i, toolong = 0;
	ssize_t n;
	char c;

	if (tcgetattr(STDIN_FILENO, &cmd_passwd_saved) == -1)
		return MPS_ERR_IO;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cmd_passwd_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	noecho = cmd_passwd_saved;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	cmd_passwd_echo_off = 1;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho) == -1) {
		rv = MPS_ERR_IO;
		goto out;
	}
	fputs(prompt, stderr);
	fflush(stderr);

	*len = 0;
	for (;;) {
		n = read(STDIN_FILENO, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rv = MPS_ERR_IO;
			break;
		}
		if (n == 0) {
			rv = *len > 0 ? 0 : MPS_ERR_CLOSED;
			break;
		}
		if (c == '\n')
			break;
		/* Keep reading to the newline so no rest is left behind. */
		if (*len == cap)
			toolong = 1;
		else
			buf[(*len)++] = c;
	}
	if (toolong && rv == 0)
		rv = MPS_ERR_TOO_LARGE;
	fputc('\n', stderr);
out:
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &cmd_passwd_saved);
	cmd_passwd_echo_off = 0;
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	c = 0;
	return rv;
}

static int
cmd_passwd_input_error(int rv)
{
	switch (rv) {
	case MPS_ERR_TOO_LARGE:
		cli_err("hash-password: password longer than %d bytes",
		    CMD_PASSWD_MAX);
		return CLI_EXIT_USAGE;
	case MPS_ERR_CLOSED:
		cli_err("hash-password: no password given");
		return CLI_EXIT_USAGE;
	default:
		cli_err("hash-password: reading the password: %s",
		    strerror(errno));
		return CLI_EXIT_FAILED;
	}
}

/* Warns about passwords AMT's CIRA configuration would not take. */
static void
cmd_passwd_check_amt(const char *pw, size_t len)
{
	size_t i;

	if (len < CMD_PASSWD_AMT_MIN || len > CMD_PASSWD_AMT_MAX)
		cli_warn("AMT accepts only %d to %d character MPS passwords; "
		    "this one has %zu, so AMT cannot be configured with it",
		    CMD_PASSWD_AMT_MIN, CMD_PASSWD_AMT_MAX, len);
	for (i = 0; i < len; i++) {
		if (pw[i] < 0x21 || pw[i] > 0x7e) {
			cli_warn("the password has characters outside "
			    "printable ASCII (or blanks), which AMT may "
			    "refuse");
			break;
		}
	}
}

int
cmd_passwd_hash(struct cli *cli, int argc, char **argv)
{
	char pw[CMD_PASSWD_MAX], again[CMD_PASSWD_MAX];
	char hash[PASSWD_HASH_MAX];
	size_t len = 0, len2 = 0;
	int rv, ex = CLI_EXIT_OK;

	if (isatty(STDIN_FILENO)) {
		if ((rv = cmd_passwd_prompt("MPS password: ", pw, sizeof(pw),
		    &len)) != 0) {
			ex = cmd_passwd_input_error(rv);
			goto out;
		}
		if (len > 0 && (rv = cmd_passwd_prompt("Repeat password: ",
		    again, sizeof(again), &len2)) != 0) {
			ex = cmd_passwd_input_error(rv);
			goto out;
		}
		if (len != len2 || memcmp(pw, again, len) != 0) {
			cli_err("hash-password: the passwords do not match");
			ex = CLI_EXIT_USAGE;
			goto out;
		}
	} else if ((rv = cmd_passwd_read_pipe(pw, sizeof(pw), &len)) != 0) {
		ex = cmd_passwd_input_error(rv);
		goto out;
	}

	if (len == 0) {
		cli_err("hash-password: refusing an empty password");
		ex = CLI_EXIT_USAGE;
		goto out;
	}
	if (memchr(pw, '\0', len) != NULL) {
		cli_err("hash-password: the password contains a NUL byte");
		ex = CLI_EXIT_USAGE;
		goto out;
	}
	cmd_passwd_check_amt(pw, len);
	if ((rv = passwd_hash(pw, len, PASSWD_DEFAULT_ITER, hash,
	    sizeof(hash))) != 0) {
		cli_err("hash-password: cannot hash: %s", mps_strerror(rv));
		ex = CLI_EXIT_FAILED;
		goto out;
	}
	printf("%s\n", hash);
out:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(again, sizeof(again));
	return ex;
}
