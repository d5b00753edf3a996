package io.lorafn.kernels.cuda;

import java.lang.reflect.Field;
import jcuda.driver.CUipcMemHandle;

/**
 * The 64 bytes of a CUDA IPC memory handle, to and from JCuda's {@link CUipcMemHandle}. JCuda 12.0 fills the
 * handle's bytes natively but keeps the field private with no accessor, so passing a handle to another
 * process (its whole purpose) goes through reflection on that one field.
 */
final class IpcHandles {
    private static final Field RESERVED;

    static {
        try {
            RESERVED = CUipcMemHandle.class.getDeclaredField("reserved");
            RESERVED.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private IpcHandles() {
    }

    static byte[] bytes(CUipcMemHandle handle) {
        try {
            return ((byte[]) RESERVED.get(handle)).clone();
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    static CUipcMemHandle handle(byte[] bytes) {
        CUipcMemHandle handle = new CUipcMemHandle();
        try {
            byte[] reserved = (byte[]) RESERVED.get(handle);
            if (bytes.length != reserved.length) {
                throw new IllegalArgumentException("a CUDA IPC handle is " + reserved.length + " bytes, got " + bytes.length);
            }
            System.arraycopy(bytes, 0, reserved, 0, reserved.length);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        return handle;
    }
}
