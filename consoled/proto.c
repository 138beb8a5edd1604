/*
 * proto.c: what a console client's bytes mean, with no I/O of its own.
 *
 * TCP clients speak telnet through libtelnet: the server offers WILL ECHO
 * and WILL SGA (a stock telnet then goes into character mode) and BINARY
 * both ways; libtelnet's RFC 1143 option state makes negotiation loops
 * impossible, doubles 0xFF going out and undoes it coming in.  Without
 * BINARY from the client, CR NUL and CR LF become CR (what a serial
 * terminal sends for Return).  IAC BRK is a serial break.  Unix socket
 * clients (xm console, xensv) are raw.
 *
 * Both kinds share the escape prefix ^E c (as conserver has it) followed
 * by one letter, so that any client, even netcat, can take input, see
 * who is attached, send a break or detach.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtelnet.h>

#include "xen-common.h"
#include "consoled.h"

enum esc_state { ESC_NONE, ESC_GOT_E, ESC_CMD };

struct proto {
	enum proto_kind		 kind;
	const struct proto_cb	*cb;
	void			*arg;
	telnet_t		*telnet;
	int			 stopped;

	int			 bin_out;	/* client said DO BINARY */
	int			 bin_in;	/* client said WILL BINARY */
	int			 cr_in;		/* last input byte was CR */
	int			 cr_out;	/* last output byte was CR */
	enum esc_state		 esc;

	double			 tokens;	/* negotiation rate limit */
	double			 tokens_at;
	double			 now;

	char			*scratch;
	size_t			 scratch_size;
};

static const telnet_telopt_t proto_telopts[] = {
	{ TELNET_TELOPT_ECHO, TELNET_WILL, TELNET_DONT },
	{ TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO },
	{ TELNET_TELOPT_BINARY, TELNET_WILL, TELNET_DO },
	{ -1, 0, 0 }
};

static const char proto_help_text[] =
    "escape commands: ^E c then one of:\r\n"
    "  w  take input (the others become read-only)\r\n"
    "  r  give input up\r\n"
    "  u  show who is attached\r\n"
    "  b  send a serial break (then a key: Linux sysrq)\r\n"
    "  e  send ^E c itself\r\n"
    "  .  detach\r\n"
    "  ?  this help";

const char *
proto_help(void)
{
	return (proto_help_text);
}

static void
proto_send(struct proto *p, const char *buf, size_t len)
{
	if (len > 0)
		p->cb->send(p->arg, buf, len);
}

/* Charges one negotiation (or reply-provoking command) to the budget. */
static int
proto_charge(struct proto *p)
{
	double	 dt = p->now - p->tokens_at;

	if (dt > 0) {
		p->tokens += dt * PROTO_NEG_RATE;
		if (p->tokens > PROTO_NEG_BURST)
			p->tokens = PROTO_NEG_BURST;
	}
	p->tokens_at = p->now;
	if (p->tokens < 1) {
		proto_stop(p);
		p->cb->command(p->arg, PROTO_ABUSE);
		return (-1);
	}
	p->tokens -= 1;
	return (0);
}

static void
proto_command(struct proto *p, enum proto_cmd cmd)
{
	if (!p->stopped)
		p->cb->command(p->arg, cmd);
}

static void
proto_input(struct proto *p, const char *buf, size_t len)
{
	if (len > 0 && !p->stopped)
		p->cb->input(p->arg, buf, len);
}

/* Escape commands, on input already decoded from telnet. */
static void
proto_escapes(struct proto *p, const char *buf, size_t len)
{
	static const char	 esc_c[2] = { PROTO_ESCAPE, 'c' };
	size_t			 i, run = 0;
	unsigned char		 c;

	for (i = 0; i < len && !p->stopped; i++) {
		c = buf[i];
		switch (p->esc) {
		case ESC_NONE:
			if (c == PROTO_ESCAPE) {
				proto_input(p, buf + run, i - run);
				p->esc = ESC_GOT_E;
				run = i + 1;
			}
			break;
		case ESC_GOT_E:
			if (c == 'c') {
				p->esc = ESC_CMD;
				run = i + 1;
				break;
			}
			proto_input(p, esc_c, 1);
			p->esc = ESC_NONE;
			run = i;
			i--;		/* c is ordinary (or another ^E) */
			break;
		case ESC_CMD:
			p->esc = ESC_NONE;
			run = i + 1;
			switch (c) {
			case 'w':
				proto_command(p, PROTO_TAKE);
				break;
			case 'r':
				proto_command(p, PROTO_RELEASE);
				break;
			case 'u':
				proto_command(p, PROTO_WHO);
				break;
			case 'b':
				proto_command(p, PROTO_BREAK);
				break;
			case '.':
				proto_command(p, PROTO_QUIT);
				break;
			case 'e':
				proto_input(p, esc_c, 2);
				break;
			default:
				proto_command(p, PROTO_HELP);
				break;
			}
			break;
		}
	}
	if (p->esc == ESC_NONE && run < i)
		proto_input(p, buf + run, i - run);
}

/* Telnet data from the client: CR NUL and CR LF are CR unless binary. */
static void
proto_data(struct proto *p, const char *buf, size_t len)
{
	size_t	 i, n = 0;

	if (p->bin_in) {
		p->cr_in = 0;
		proto_escapes(p, buf, len);
		return;
	}
	if (len > p->scratch_size) {
		p->scratch_size = len < 4096 ? 4096 : len;
		free(p->scratch);
		p->scratch = xmalloc(p->scratch_size);
	}
	for (i = 0; i < len; i++) {
		if (p->cr_in && (buf[i] == '\0' || buf[i] == '\n')) {
			p->cr_in = 0;
			continue;
		}
		p->cr_in = buf[i] == '\r';
		p->scratch[n++] = buf[i];
	}
	proto_escapes(p, p->scratch, n);
}

static void
proto_iac(struct proto *p, unsigned char cmd)
{
	static const char	 ctrl_c = 0x03, del = 0x7f, ctrl_u = 0x15;

	switch (cmd) {
	case TELNET_BREAK:
		if (proto_charge(p) == 0)
			proto_command(p, PROTO_BREAK);
		break;
	case TELNET_IP:		/* "send ip": interrupt, as ^C */
		proto_escapes(p, &ctrl_c, 1);
		break;
	case TELNET_EC:
		proto_escapes(p, &del, 1);
		break;
	case TELNET_EL:
		proto_escapes(p, &ctrl_u, 1);
		break;
	case TELNET_AYT:
		if (proto_charge(p) == 0)
			proto_notice(p, "yes");
		break;
	default:		/* NOP, DM, GA, AO, ...: nothing to do */
		break;
	}
}

static void
proto_telnet_event(telnet_t *t, telnet_event_t *ev, void *arg)
{
	struct proto	*p = arg;

	switch (ev->type) {
	case TELNET_EV_SEND:
		proto_send(p, ev->data.buffer, ev->data.size);
		return;
	default:
		break;
	}
	if (p->stopped)
		return;
	switch (ev->type) {
	case TELNET_EV_DATA:
		proto_data(p, ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_IAC:
		proto_iac(p, ev->iac.cmd);
		break;
	case TELNET_EV_WILL:
	case TELNET_EV_WONT:
	case TELNET_EV_DO:
	case TELNET_EV_DONT:
		if (proto_charge(p) != 0)
			break;
		if (ev->neg.telopt == TELNET_TELOPT_BINARY) {
			if (ev->type == TELNET_EV_DO || ev->type ==
			    TELNET_EV_DONT)
				p->bin_out = ev->type == TELNET_EV_DO;
			else
				p->bin_in = ev->type == TELNET_EV_WILL;
		}
		break;
	case TELNET_EV_SUBNEGOTIATION:
	case TELNET_EV_ZMP:
	case TELNET_EV_TTYPE:
	case TELNET_EV_ENVIRON:
	case TELNET_EV_MSSP:
	case TELNET_EV_COMPRESS:
		proto_charge(p);	/* we asked for none of these */
		break;
	case TELNET_EV_WARNING:
		/*
		 * libtelnet's subnegotiation buffer is full (16 KiB): not a
		 * client.  (0.21 leaves errcode unset: go by the message.)
		 */
		if (ev->error.msg != NULL &&
		    strstr(ev->error.msg, "buffer size limit") != NULL) {
			proto_stop(p);
			p->cb->command(p->arg, PROTO_ABUSE);
		} else
			proto_charge(p);
		break;
	case TELNET_EV_ERROR:
		/* Overflowing subnegotiation, bad sequence: not a client. */
		proto_stop(p);
		p->cb->command(p->arg, PROTO_ABUSE);
		break;
	default:
		break;
	}
}

struct proto *
proto_new(enum proto_kind kind, const struct proto_cb *cb, void *arg)
{
	struct proto	*p = xcalloc(1, sizeof *p);

	p->kind = kind;
	p->cb = cb;
	p->arg = arg;
	p->tokens = PROTO_NEG_BURST;
	p->tokens_at = -1;
	if (kind == PROTO_TELNET) {
		p->telnet = telnet_init(proto_telopts, proto_telnet_event, 0,
		    p);
		if (p->telnet == NULL)
			fatalx("telnet_init failed");
	}
	return (p);
}

void
proto_free(struct proto *p)
{
	if (p == NULL)
		return;
	if (p->telnet != NULL)
		telnet_free(p->telnet);
	free(p->scratch);
	free(p);
}

void
proto_start(struct proto *p)
{
	if (p->telnet == NULL)
		return;
	telnet_negotiate(p->telnet, TELNET_WILL, TELNET_TELOPT_ECHO);
	telnet_negotiate(p->telnet, TELNET_WILL, TELNET_TELOPT_SGA);
	telnet_negotiate(p->telnet, TELNET_DO, TELNET_TELOPT_SGA);
	telnet_negotiate(p->telnet, TELNET_WILL, TELNET_TELOPT_BINARY);
	telnet_negotiate(p->telnet, TELNET_DO, TELNET_TELOPT_BINARY);
}

void
proto_recv(struct proto *p, const char *buf, size_t len, double now)
{
	if (p->stopped || len == 0)
		return;
	p->now = now;
	if (p->tokens_at < 0)
		p->tokens_at = now;
	if (p->telnet != NULL)
		telnet_recv(p->telnet, buf, len);
	else
		proto_escapes(p, buf, len);
}

/* NVT without BINARY: a CR not followed by LF goes out as CR NUL. */
static void
proto_output_nvt(struct proto *p, const char *buf, size_t len)
{
	static const char	 nul = '\0';
	size_t			 i, run = 0;

	if (p->cr_out && len > 0 && buf[0] != '\n')
		telnet_send(p->telnet, &nul, 1);
	for (i = 0; i + 1 < len; i++) {
		if (buf[i] == '\r' && buf[i + 1] != '\n') {
			telnet_send(p->telnet, buf + run, i + 1 - run);
			telnet_send(p->telnet, &nul, 1);
			run = i + 1;
		}
	}
	telnet_send(p->telnet, buf + run, len - run);
	p->cr_out = len > 0 && buf[len - 1] == '\r';
}

void
proto_output(struct proto *p, const char *buf, size_t len)
{
	if (len == 0)
		return;
	if (p->telnet == NULL)
		proto_send(p, buf, len);
	else if (p->bin_out)
		telnet_send(p->telnet, buf, len);
	else
		proto_output_nvt(p, buf, len);
}

void
proto_notice(struct proto *p, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *line;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	xasprintf(&line, "\r\n[xenconsoled: %s]\r\n", msg);
	if (p->telnet != NULL)
		telnet_send(p->telnet, line, strlen(line));
	else
		proto_send(p, line, strlen(line));
	p->cr_out = 0;
	free(line);
	free(msg);
}

void
proto_stop(struct proto *p)
{
	p->stopped = 1;
}

/* Only a bare ^E is held on a timer: after ^E c, the letter is awaited. */
int
proto_escape_held(const struct proto *p)
{
	return (p->esc == ESC_GOT_E);
}

void
proto_escape_flush(struct proto *p)
{
	static const char	 esc = PROTO_ESCAPE;

	if (p->esc != ESC_GOT_E)
		return;
	p->esc = ESC_NONE;
	proto_input(p, &esc, 1);
}

int
proto_binary_out(const struct proto *p)
{
	return (p->telnet == NULL || p->bin_out);
}

int
proto_binary_in(const struct proto *p)
{
	return (p->telnet == NULL || p->bin_in);
}
