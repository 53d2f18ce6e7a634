/*
 * gdx_lock.h - one running copy per name on a host.
 *
 * A POSIX record lock on `<dir>/<name>.lock`, holding the owner's pid for messages. The
 * file is never unlinked: removing it while another process waits on the old inode would let
 * two copies run (one on the orphaned inode, one on a new file).
 */
#ifndef GDX_LOCK_H
#define GDX_LOCK_H

#include <stddef.h>

/*
 * Take the lock; *fd receives the descriptor to keep open (closing it releases the lock).
 * @p what names the holder in the message ("connector 'x'"). GDX_ERR_LOCKED names the running
 * copy's pid and the lock file; GDX_ERR_IO when the directory or file cannot be made.
 */
int gdx_lock_take(const char *dir, const char *name, const char *what, int *fd, char *errstr,
                  size_t errstr_size);

#endif
