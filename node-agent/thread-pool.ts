/**
 * Imported first by berth-agent's entry point, before anything uses libuv's thread pool (which
 * reads UV_THREADPOOL_SIZE once, when it starts). The agent's file work is many small creates
 * and renames, each of which can wait in the kernel (an ext4 inode allocation, a journal
 * commit); with libuv's default of 4 threads, pods starting together queued behind each other.
 * An explicit UV_THREADPOOL_SIZE in the environment wins.
 */
process.env.UV_THREADPOOL_SIZE ??= '16';
