"""Common mistakes of exercise 11, each written as a student would: tests/test_mistakes.py replaces the named
function's solution region in solutions/11_convolution.ipynb with `code` and asserts that nnedu.check and nnedu grade
name the mistake."""

MISTAKES = [
    # q2: conv2d forward
    dict(question="q2", name="convolution instead of cross-correlation (the filter is flipped)",
         function="conv2d_forward", code='''
            O, C, kh, kw = weight.shape
            flipped = weight[:, :, ::-1, ::-1]                      # the convolution of mathematics
            rows = im2col(x, kh, kw, stride, padding)
            out = rows @ flipped.reshape(O, -1).T + bias
            return out.transpose(0, 3, 1, 2)
         '''),
    dict(question="q2", name="stride/padding off by one (the output size)", function="im2col", code='''
            N, C, H, W = x.shape
            Ho = (H + 2 * padding - kh) // stride                   # the + 1 forgotten
            Wo = (W + 2 * padding - kw) // stride
            xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
            windows = np.empty((N, Ho, Wo, C, kh, kw))
            for u in range(kh):
                for v in range(kw):
                    part = xp[:, :, u : u + stride * Ho : stride, v : v + stride * Wo : stride]
                    windows[:, :, :, :, u, v] = part.transpose(0, 2, 3, 1)
            return windows.reshape(N, Ho, Wo, C * kh * kw)
         '''),
    dict(question="q2", name="the padding is ignored", function="im2col", code='''
            N, C, H, W = x.shape
            Ho = (H - kh) // stride + 1
            Wo = (W - kw) // stride + 1
            windows = np.empty((N, Ho, Wo, C, kh, kw))
            for u in range(kh):
                for v in range(kw):
                    part = x[:, :, u : u + stride * Ho : stride, v : v + stride * Wo : stride]
                    windows[:, :, :, :, u, v] = part.transpose(0, 2, 3, 1)
            return windows.reshape(N, Ho, Wo, C * kh * kw)
         '''),
    dict(question="q2", name="the bias is missing", function="conv2d_forward", code='''
            O, C, kh, kw = weight.shape
            rows = im2col(x, kh, kw, stride, padding)
            return (rows @ weight.reshape(O, -1).T).transpose(0, 3, 1, 2)
         '''),
    dict(question="q2", name="the bias is not added per output channel", function="conv2d_forward", code='''
            O, C, kh, kw = weight.shape
            rows = im2col(x, kh, kw, stride, padding)
            out = (rows @ weight.reshape(O, -1).T).transpose(0, 3, 1, 2)   # (N, O, Ho, Wo)
            return out + bias                                              # broadcasts along the width
         '''),
    dict(question="q2", name="the filter's height and width are swapped", function="conv2d_forward", code='''
            O, C, kw, kh = weight.shape
            rows = im2col(x, kh, kw, stride, padding)
            out = rows @ weight.reshape(O, -1).T + bias
            return out.transpose(0, 3, 1, 2)
         '''),
    # q4: conv2d backward
    dict(question="q4", name="db not summed over N, H and W (one value per output channel)",
         function="conv2d_backward", code='''
            N, C, H, W = x.shape
            O, _, kh, kw = weight.shape
            Ho, Wo = dout.shape[2:]
            rows = im2col(x, kh, kw, stride, padding).reshape(-1, C * kh * kw)
            delta = dout.transpose(0, 2, 3, 1).reshape(-1, O)
            dbias = dout.sum(axis=(2, 3))                                   # still one row per image
            dweight = (delta.T @ rows).reshape(O, C, kh, kw)
            dwindows = (delta @ weight.reshape(O, -1)).reshape(N, Ho, Wo, C, kh, kw)
            dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
            for u in range(kh):
                for v in range(kw):
                    dxp[:, :, u : u + stride * Ho : stride, v : v + stride * Wo : stride] += \\
                        dwindows[:, :, :, :, u, v].transpose(0, 3, 1, 2)
            return dxp[:, :, padding : padding + H, padding : padding + W], dweight, dbias
         '''),
    dict(question="q4", name="db is a mean instead of a sum", function="conv2d_backward", code='''
            N, C, H, W = x.shape
            O, _, kh, kw = weight.shape
            Ho, Wo = dout.shape[2:]
            rows = im2col(x, kh, kw, stride, padding).reshape(-1, C * kh * kw)
            delta = dout.transpose(0, 2, 3, 1).reshape(-1, O)
            dbias = delta.mean(axis=0)
            dweight = (delta.T @ rows).reshape(O, C, kh, kw)
            dwindows = (delta @ weight.reshape(O, -1)).reshape(N, Ho, Wo, C, kh, kw)
            dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
            for u in range(kh):
                for v in range(kw):
                    dxp[:, :, u : u + stride * Ho : stride, v : v + stride * Wo : stride] += \\
                        dwindows[:, :, :, :, u, v].transpose(0, 3, 1, 2)
            return dxp[:, :, padding : padding + H, padding : padding + W], dweight, dbias
         '''),
    dict(question="q4", name="the weight gradient has its channel axes transposed", function="conv2d_backward",
         code='''
            N, C, H, W = x.shape
            O, _, kh, kw = weight.shape
            Ho, Wo = dout.shape[2:]
            rows = im2col(x, kh, kw, stride, padding).reshape(-1, C * kh * kw)
            delta = dout.transpose(0, 2, 3, 1).reshape(-1, O)
            dbias = delta.sum(axis=0)
            dweight = (rows.T @ delta).reshape(C, kh, kw, O).transpose(0, 3, 1, 2)   # (C, O, kh, kw)
            dwindows = (delta @ weight.reshape(O, -1)).reshape(N, Ho, Wo, C, kh, kw)
            dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
            for u in range(kh):
                for v in range(kw):
                    dxp[:, :, u : u + stride * Ho : stride, v : v + stride * Wo : stride] += \\
                        dwindows[:, :, :, :, u, v].transpose(0, 3, 1, 2)
            return dxp[:, :, padding : padding + H, padding : padding + W], dweight, dbias
         '''),
    dict(question="q4", name="dx is not cut back to the input's size", function="conv2d_backward", code='''
            N, C, H, W = x.shape
            O, _, kh, kw = weight.shape
            Ho, Wo = dout.shape[2:]
            rows = im2col(x, kh, kw, stride, padding).reshape(-1, C * kh * kw)
            delta = dout.transpose(0, 2, 3, 1).reshape(-1, O)
            dbias = delta.sum(axis=0)
            dweight = (delta.T @ rows).reshape(O, C, kh, kw)
            dwindows = (delta @ weight.reshape(O, -1)).reshape(N, Ho, Wo, C, kh, kw)
            dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
            for u in range(kh):
                for v in range(kw):
                    dxp[:, :, u : u + stride * Ho : stride, v : v + stride * Wo : stride] += \\
                        dwindows[:, :, :, :, u, v].transpose(0, 3, 1, 2)
            return dxp, dweight, dbias                                      # the padding's border kept
         '''),
    # q5: max-pooling
    dict(question="q5", name="the stride defaults to 1 instead of the kernel size", function="max_pool_forward",
         code='''
            k = kernel_size
            s = 1 if stride is None else stride
            N, C, H, W = x.shape
            Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
            out = x[:, :, 0 : s * Ho : s, 0 : s * Wo : s].copy()
            for u in range(k):
                for v in range(k):
                    out = np.maximum(out, x[:, :, u : u + s * Ho : s, v : v + s * Wo : s])
            return out
         '''),
    dict(question="q5", name="the gradient is spread to every entry of the window", function="max_pool_backward",
         code='''
            k = kernel_size
            s = k if stride is None else stride
            Ho, Wo = dout.shape[2:]
            dx = np.zeros(x.shape)
            for u in range(k):
                for v in range(k):
                    dx[:, :, u : u + s * Ho : s, v : v + s * Wo : s] += dout    # every entry, not the maximum
            return dx
         '''),
    dict(question="q5", name="the gradient is averaged over the window (average pooling's gradient)",
         function="max_pool_backward", code='''
            k = kernel_size
            s = k if stride is None else stride
            Ho, Wo = dout.shape[2:]
            dx = np.zeros(x.shape)
            for u in range(k):
                for v in range(k):
                    dx[:, :, u : u + s * Ho : s, v : v + s * Wo : s] += dout / (k * k)
            return dx
         '''),
    dict(question="q5", name="ties send the gradient to every maximum", function="max_pool_backward", code='''
            k = kernel_size
            s = k if stride is None else stride
            out = max_pool_forward(x, k, s)
            Ho, Wo = out.shape[2:]
            dx = np.zeros(x.shape)
            for u in range(k):
                for v in range(k):
                    where = (slice(None), slice(None), slice(u, u + s * Ho, s), slice(v, v + s * Wo, s))
                    dx[where] += dout * (x[where] == out)                # every entry equal to the maximum
            return dx
         '''),
    dict(question="q5", name="overlapping windows overwrite each other's gradient instead of adding up",
         function="max_pool_backward", code='''
            k = kernel_size
            s = k if stride is None else stride
            out = max_pool_forward(x, k, s)
            Ho, Wo = out.shape[2:]
            dx = np.zeros(x.shape)
            for n in range(x.shape[0]):
                for c in range(x.shape[1]):
                    for i in range(Ho):
                        for j in range(Wo):
                            window = x[n, c, i * s : i * s + k, j * s : j * s + k]
                            u, v = np.unravel_index(np.argmax(window), window.shape)
                            dx[n, c, i * s + u, j * s + v] = dout[n, c, i, j]    # = where += was needed
            return dx
         '''),
    dict(question="q5", name="changes its input in place", function="max_pool_backward", code='''
            k = kernel_size
            s = k if stride is None else stride
            Ho, Wo = dout.shape[2:]
            dx = np.zeros(x.shape)
            for n in range(x.shape[0]):
                for c in range(x.shape[1]):
                    for i in range(Ho):
                        for j in range(Wo):
                            window = x[n, c, i * s : i * s + k, j * s : j * s + k]   # a view into x
                            window -= window.max()                                   # the maximum becomes 0
                            u, v = np.unravel_index(np.argmax(window == 0), window.shape)
                            dx[n, c, i * s + u, j * s + v] += dout[n, c, i, j]
            return dx
         '''),
]
