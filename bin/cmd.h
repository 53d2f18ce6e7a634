/* bin/cmd.h - the commands of the multi-call binary `gdx` (git-style). */
#ifndef GDX_CMD_H
#define GDX_CMD_H

struct gdx_cmd {
    const char *name;
    int (*fn)(int argc, char **argv); /* argv[0] is the command name */
    const char *help;                 /* one line for `gdx --help` */
};

int cmd_connector(int argc, char **argv);
int cmd_broker(int argc, char **argv);
int cmd_tail(int argc, char **argv);
int cmd_decrypt(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_registry(int argc, char **argv);
int cmd_uplink(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_supervise(int argc, char **argv);

/* Common helpers for entry points */
void cmd_install_signals(void);
int cmd_stopping(void);
const volatile int *cmd_stop_flag(void);
/* Write "URL\n" to @p path atomically (a temporary file renamed); 0 or -1 with errno. */
int cmd_write_url_file(const char *path, const char *url);

#endif
