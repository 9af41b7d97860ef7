/*
 * A SQLite VFS that writes a commit's WAL frames in a few large writes instead of two small ones per page.
 *
 * SQLite appends each WAL frame as two writes (a 24-byte header, then the page), and on Linux each write pays
 * the system call and the file system's per-call work far more than the copy: a single-POST transaction
 * wrote ~140 frames in ~280 pwrite calls, and the commit was ~40% of the store's time. This VFS wraps the
 * default one and keeps contiguous WAL writes in a buffer per WAL handle (under 128 KiB: the unix VFS writes
 * no more than that per call), written out:
 *   - when the next write is not contiguous or would overflow it;
 *   - before anything reads, syncs, truncates, sizes, locks or closes that WAL;
 *   - and, above all, at the wal-index barrier (xShmBarrier of the main database file), which SQLite crosses
 *     before it publishes the frames of a commit to other connections: no reader, checkpointer or later
 *     process can see a frame that is not in the file, and a commit returns only after its frames are in it.
 * What a crash can lose is therefore exactly what it could without this VFS: a transaction whose COMMIT has
 * not returned.
 *
 * A write that fails at the barrier cannot be reported to SQLite (xShmBarrier returns nothing) and the commit
 * would be published without its frames, so the process stops there instead (abort), before the commit
 * returns: nothing is acknowledged that is not stored, and recovery on restart drops the partial frames.
 *
 * Loaded once per process: sqlite3_sqlitewalcoalesce_init (the entry point SQLite derives from the file
 * name) registers it as the default VFS and asks to stay loaded; every connection opened afterwards, on any
 * thread, uses it.
 */
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The unix VFS writes at most 0x1ffff bytes per call (seekAndWrite masks the length), so stay below it. */
#define BUFFER_CAPACITY (127 * 1024)

typedef struct CoalesceFile CoalesceFile;
struct CoalesceFile {
  sqlite3_file base;
  /* The default VFS's file, in the same allocation, right after this struct. */
  sqlite3_file *real;
  int isWal;
  /* Main database file: the WAL its connection opened. WAL: its main database file. */
  CoalesceFile *wal;
  CoalesceFile *db;
  unsigned char *buffer;
  sqlite3_int64 bufferOffset;
  int buffered;
};

static sqlite3_vfs *defaultVfs;
static sqlite3_vfs coalesceVfs;
static sqlite3_io_methods coalesceIo[3];

static int writeOut(CoalesceFile *wal) {
  if (wal->buffered == 0) return SQLITE_OK;
  int rc = wal->real->pMethods->xWrite(wal->real, wal->buffer, wal->buffered, wal->bufferOffset);
  wal->buffered = 0;
  return rc;
}

/* Writes out the WAL buffer this file is or owns. */
static int writeOutWal(CoalesceFile *p) {
  if (p->isWal) return writeOut(p);
  if (p->wal) return writeOut(p->wal);
  return SQLITE_OK;
}

static int coalesceClose(sqlite3_file *f) {
  CoalesceFile *p = (CoalesceFile *)f;
  int rc = writeOutWal(p);
  if (p->isWal && p->db && p->db->wal == p) p->db->wal = 0;
  if (!p->isWal && p->wal && p->wal->db == p) p->wal->db = 0;
  int closed = p->real->pMethods->xClose(p->real);
  free(p->buffer);
  p->buffer = 0;
  return rc != SQLITE_OK ? rc : closed;
}

static int coalesceRead(sqlite3_file *f, void *data, int amount, sqlite3_int64 offset) {
  CoalesceFile *p = (CoalesceFile *)f;
  if (p->isWal) {
    int rc = writeOut(p);
    if (rc != SQLITE_OK) return rc;
  }
  return p->real->pMethods->xRead(p->real, data, amount, offset);
}

static int coalesceWrite(sqlite3_file *f, const void *data, int amount, sqlite3_int64 offset) {
  CoalesceFile *p = (CoalesceFile *)f;
  if (!p->isWal) return p->real->pMethods->xWrite(p->real, data, amount, offset);
  if (p->buffered > 0 &&
      (offset != p->bufferOffset + p->buffered || p->buffered + amount > BUFFER_CAPACITY)) {
    int rc = writeOut(p);
    if (rc != SQLITE_OK) return rc;
  }
  if (amount > BUFFER_CAPACITY) return p->real->pMethods->xWrite(p->real, data, amount, offset);
  if (!p->buffer) {
    p->buffer = malloc(BUFFER_CAPACITY);
    if (!p->buffer) return p->real->pMethods->xWrite(p->real, data, amount, offset);
  }
  if (p->buffered == 0) p->bufferOffset = offset;
  memcpy(p->buffer + p->buffered, data, (size_t)amount);
  p->buffered += amount;
  return SQLITE_OK;
}

static int coalesceTruncate(sqlite3_file *f, sqlite3_int64 size) {
  CoalesceFile *p = (CoalesceFile *)f;
  int rc = writeOutWal(p);
  return rc != SQLITE_OK ? rc : p->real->pMethods->xTruncate(p->real, size);
}

static int coalesceSync(sqlite3_file *f, int flags) {
  CoalesceFile *p = (CoalesceFile *)f;
  int rc = writeOutWal(p);
  return rc != SQLITE_OK ? rc : p->real->pMethods->xSync(p->real, flags);
}

static int coalesceFileSize(sqlite3_file *f, sqlite3_int64 *size) {
  CoalesceFile *p = (CoalesceFile *)f;
  int rc = writeOutWal(p);
  return rc != SQLITE_OK ? rc : p->real->pMethods->xFileSize(p->real, size);
}

static int coalesceLock(sqlite3_file *f, int level) {
  CoalesceFile *p = (CoalesceFile *)f;
  int rc = writeOutWal(p);
  return rc != SQLITE_OK ? rc : p->real->pMethods->xLock(p->real, level);
}

static int coalesceUnlock(sqlite3_file *f, int level) {
  CoalesceFile *p = (CoalesceFile *)f;
  int rc = writeOutWal(p);
  return rc != SQLITE_OK ? rc : p->real->pMethods->xUnlock(p->real, level);
}

static int coalesceCheckReservedLock(sqlite3_file *f, int *reserved) {
  CoalesceFile *p = (CoalesceFile *)f;
  return p->real->pMethods->xCheckReservedLock(p->real, reserved);
}

static int coalesceFileControl(sqlite3_file *f, int op, void *arg) {
  CoalesceFile *p = (CoalesceFile *)f;
  int rc = writeOutWal(p);
  return rc != SQLITE_OK ? rc : p->real->pMethods->xFileControl(p->real, op, arg);
}

static int coalesceSectorSize(sqlite3_file *f) {
  CoalesceFile *p = (CoalesceFile *)f;
  return p->real->pMethods->xSectorSize(p->real);
}

static int coalesceDeviceCharacteristics(sqlite3_file *f) {
  CoalesceFile *p = (CoalesceFile *)f;
  return p->real->pMethods->xDeviceCharacteristics(p->real);
}

static int coalesceShmMap(sqlite3_file *f, int page, int pageSize, int extend, void volatile **map) {
  CoalesceFile *p = (CoalesceFile *)f;
  return p->real->pMethods->xShmMap(p->real, page, pageSize, extend, map);
}

static int coalesceShmLock(sqlite3_file *f, int offset, int n, int flags) {
  CoalesceFile *p = (CoalesceFile *)f;
  int rc = writeOutWal(p);
  return rc != SQLITE_OK ? rc : p->real->pMethods->xShmLock(p->real, offset, n, flags);
}

static void coalesceShmBarrier(sqlite3_file *f) {
  CoalesceFile *p = (CoalesceFile *)f;
  /* The wal-index header is about to name the frames just written: they must be in the file first. */
  if (writeOutWal(p) != SQLITE_OK) {
    fprintf(stderr, "riposte: writing the SQLite WAL failed before a commit was published; stopping\n");
    abort();
  }
  p->real->pMethods->xShmBarrier(p->real);
}

static int coalesceShmUnmap(sqlite3_file *f, int deleteFlag) {
  CoalesceFile *p = (CoalesceFile *)f;
  int rc = writeOutWal(p);
  return rc != SQLITE_OK ? rc : p->real->pMethods->xShmUnmap(p->real, deleteFlag);
}

static int coalesceFetch(sqlite3_file *f, sqlite3_int64 offset, int amount, void **pp) {
  CoalesceFile *p = (CoalesceFile *)f;
  int rc = writeOutWal(p);
  return rc != SQLITE_OK ? rc : p->real->pMethods->xFetch(p->real, offset, amount, pp);
}

static int coalesceUnfetch(sqlite3_file *f, sqlite3_int64 offset, void *page) {
  CoalesceFile *p = (CoalesceFile *)f;
  return p->real->pMethods->xUnfetch(p->real, offset, page);
}

static int coalesceOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *outFlags) {
  (void)vfs;
  CoalesceFile *p = (CoalesceFile *)f;
  memset(p, 0, sizeof(*p));
  p->real = (sqlite3_file *)&p[1];
  int rc = defaultVfs->xOpen(defaultVfs, name, p->real, flags, outFlags);
  const sqlite3_io_methods *real = p->real->pMethods;
  if (!real) return rc;
  /* The same method versions as the file underneath: SQLite never calls what that one lacks. */
  int version = real->iVersion < 1 ? 1 : real->iVersion > 3 ? 3 : real->iVersion;
  p->base.pMethods = &coalesceIo[version - 1];
  if (rc != SQLITE_OK) return rc;
  if (flags & SQLITE_OPEN_WAL) {
    p->isWal = 1;
    sqlite3_file *db = sqlite3_database_file_object(name);
    if (db && db->pMethods >= &coalesceIo[0] && db->pMethods <= &coalesceIo[2]) {
      p->db = (CoalesceFile *)db;
      p->db->wal = p;
    }
  }
  return SQLITE_OK;
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_sqlitewalcoalesce_init(sqlite3 *db, char **error, const sqlite3_api_routines *api) {
  (void)db;
  (void)error;
  SQLITE_EXTENSION_INIT2(api);
  if (sqlite3_vfs_find("riposte-wal-coalesce")) return SQLITE_OK_LOAD_PERMANENTLY;
  defaultVfs = sqlite3_vfs_find(0);
  if (!defaultVfs || defaultVfs->iVersion < 2) return SQLITE_ERROR;
  for (int i = 0; i < 3; i += 1) {
    sqlite3_io_methods *m = &coalesceIo[i];
    m->iVersion = i + 1;
    m->xClose = coalesceClose;
    m->xRead = coalesceRead;
    m->xWrite = coalesceWrite;
    m->xTruncate = coalesceTruncate;
    m->xSync = coalesceSync;
    m->xFileSize = coalesceFileSize;
    m->xLock = coalesceLock;
    m->xUnlock = coalesceUnlock;
    m->xCheckReservedLock = coalesceCheckReservedLock;
    m->xFileControl = coalesceFileControl;
    m->xSectorSize = coalesceSectorSize;
    m->xDeviceCharacteristics = coalesceDeviceCharacteristics;
    m->xShmMap = i >= 1 ? coalesceShmMap : 0;
    m->xShmLock = i >= 1 ? coalesceShmLock : 0;
    m->xShmBarrier = i >= 1 ? coalesceShmBarrier : 0;
    m->xShmUnmap = i >= 1 ? coalesceShmUnmap : 0;
    m->xFetch = i >= 2 ? coalesceFetch : 0;
    m->xUnfetch = i >= 2 ? coalesceUnfetch : 0;
  }
  /* The default VFS in all but opening files (and its name and file size): its other methods only forward
   * to the operating system, and get the same pAppData and limits as they would from it. */
  coalesceVfs = *defaultVfs;
  coalesceVfs.pNext = 0;
  coalesceVfs.szOsFile = (int)sizeof(CoalesceFile) + defaultVfs->szOsFile;
  coalesceVfs.zName = "riposte-wal-coalesce";
  coalesceVfs.xOpen = coalesceOpen;
  int rc = sqlite3_vfs_register(&coalesceVfs, 1);
  return rc == SQLITE_OK ? SQLITE_OK_LOAD_PERMANENTLY : rc;
}
