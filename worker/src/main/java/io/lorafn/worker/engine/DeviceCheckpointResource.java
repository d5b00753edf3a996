package io.lorafn.worker.engine;

import io.lorafn.kernels.cuda.CudaBackend;
import org.crac.Context;
import org.crac.Resource;

/**
 * A CUDA backend's device as an {@code org.crac.Resource}: a checkpoint cannot hold a GPU context, so before
 * one the backend frees its device buffers and destroys its context, and after the restore it creates a new
 * one and loads the kernels again; the weights go back up on first use.
 */
final class DeviceCheckpointResource implements Resource {
    private final CudaBackend cuda;

    DeviceCheckpointResource(CudaBackend cuda) {
        this.cuda = cuda;
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) {
        cuda.suspend();
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {
        cuda.resume();
    }
}
