// lmdb_handles.h - RAII for LMDB handles (internal to store/).
//
// One std::unique_ptr alias per LMDB object, its release function as the
// deleter.  This header is the only place in the tree that names
// mdb_env_close, mdb_txn_abort and mdb_cursor_close.  A transaction that
// is committed is released from its TxnPtr first: mdb_txn_commit frees it
// whether or not the commit succeeds.
#pragma once

#include <lmdb.h>

#include <memory>

namespace x400::store {

struct MdbEnvClose {
    void operator()(MDB_env* e) const { ::mdb_env_close(e); }
};
using MdbEnvPtr = std::unique_ptr<MDB_env, MdbEnvClose>;

struct MdbTxnAbort {
    void operator()(MDB_txn* t) const { ::mdb_txn_abort(t); }
};
using MdbTxnPtr = std::unique_ptr<MDB_txn, MdbTxnAbort>;

struct MdbCursorClose {
    void operator()(MDB_cursor* c) const { ::mdb_cursor_close(c); }
};
using MdbCursorPtr = std::unique_ptr<MDB_cursor, MdbCursorClose>;

// mdb_commit commits and releases txn; returns LMDB's code.
inline int mdb_commit(MdbTxnPtr& txn)
{
    return ::mdb_txn_commit(txn.release());
}

}  // namespace x400::store
