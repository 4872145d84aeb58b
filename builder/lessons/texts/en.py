"""The lessons in English: what to look at and why, the key formula, the exercise, and the hint a failed check
gives. Formulas are written for Markdown with LaTeX ($…$), as the app shows them."""

LESSONS = {
    "xor": {
        "title": "Perceptron vs MLP on XOR",
        "text": """\
A **perceptron** is one linear unit: it computes $z = w \\cdot x + b$ and answers class 1 when
$\\sigma(z) > 0.5$, that is on one side of the straight line $w \\cdot x + b = 0$. Whatever it learns, its
decision boundary is a line.

**XOR** puts one class in the top-left and bottom-right quadrants and the other in the two remaining ones. No
single line separates them — Minsky and Papert's 1969 argument that stalled neural-network research for a
decade. Train the perceptron and watch its boundary (Visualize → *Decision boundary*): it settles near 50%.

A **multilayer perceptron** adds a hidden layer: $h = \\tanh(W_1 x + b_1)$, $z = w_2 \\cdot h + b_2$. Each hidden
unit draws its own line; the output combines them, so the boundary can bend around the quadrants. That is the
whole reason depth matters: composition of simple nonlinear units draws shapes no single unit can.
""",
        "exercise": "Make the perceptron solve XOR by adding one hidden layer: between the input and the output unit, "
        "add a Linear layer (8 units is plenty) followed by a Tanh. Then run the check.",
        "hint": "A single Linear layer draws one straight line, which cannot separate XOR. Insert Linear "
        "(out_features 8) → Tanh between the Input x and the output Linear, so the network has a hidden layer.",
    },
    "gradients": {
        "title": "Activations and vanishing gradients",
        "text": """\
Backpropagation multiplies, layer by layer, the derivative of each activation with the layer's weights:
$\\frac{\\partial L}{\\partial h_1} = \\frac{\\partial L}{\\partial h_n} \\prod_{k=2}^{n} W_k^\\top
\\,\\mathrm{diag}\\big(\\sigma'(z_k)\\big)$. The **sigmoid**'s derivative is at most $0.25$, so in a 10-layer
sigmoid network the gradient that reaches the first layer is millions of times smaller than the last layer's:
the first layers barely learn. This is the **vanishing gradient**.

**ReLU** ($\\max(0, z)$, derivative 1 where active) removes the activation's shrinking, but weights drawn too
small still shrink the signal at every layer. Two standard cures keep the gradient alive at any depth:
**residual connections** ($h_{k+1} = h_k + f(h_k)$, so $\\partial h_{k+1}/\\partial h_k = I + \\dots$: the
gradient has a path that skips every layer — ResNet's idea) and **batch normalization** (each layer's input
rescaled to unit variance).

The opposite failure, **exploding gradients** (norms that grow layer after layer, typical of RNNs and of too
large an initialisation), makes the loss jump to NaN; **gradient clipping** (the training setting *grad_clip*)
rescales the whole gradient to a maximum norm: $g \\leftarrow g \\cdot \\min(1, c / \\lVert g \\rVert)$.

The check measures, for your design, the gradient norm of every weight layer after one backward pass from the
initial weights (the chart below), then trains it for 5 epochs with plain SGD with momentum, which — unlike Adam —
does not rescale small gradients.
""",
        "exercise": "Start from the 10-layer sigmoid MLP. Make its gradient reach the first layer: the first layer's "
        "gradient must be at least a tenth of the last layer's, and the network must reach 80% validation "
        "accuracy in 5 epochs of SGD. Try ReLU alone first, then residual connections (Add each layer's input to "
        "its output) or BatchNorm1d after each Linear.",
        "hint": "Compare the bar chart with the residual MLP's. Sigmoid shrinks every gradient by ≥ 4× per layer; "
        "with ReLU the weights still shrink it. Add a skip (an Add of each hidden layer's input and its "
        "activation) or a BatchNorm1d after each Linear.",
    },
    "lenet": {
        "title": "Convolution, pooling and feature maps",
        "text": """\
A **convolution** slides a small kernel over the image and computes, at every position, the weighted sum of
the pixels under it: $y_{c,i,j} = b_c + \\sum_{c'} \\sum_{u,v} w_{c,c',u,v} \\, x_{c', i+u, j+v}$. The same
weights are used everywhere (**weight sharing**), so a 5×5 kernel has 25 weights per input channel whatever the
image size, and a pattern is found wherever it is. The output size is
$\\lfloor (n + 2p - k) / s \\rfloor + 1$ for size $n$, kernel $k$, padding $p$ and stride $s$.

**Pooling** summarises each small window (its average, or its maximum): the map shrinks, and a small shift of
the input barely changes the result.

**LeNet-5** (LeCun et al., 1998) stacks two convolution + pooling stages — the first finds strokes, the second
combinations of strokes — then three fully connected layers classify. Look at the feature maps (Visualize →
*Feature maps*): the first layer's maps are edge and stroke detectors on the digit.
""",
        "exercise": "Modernise LeNet-5: replace its Tanh activations by ReLU and its average pooling by max pooling, "
        "and keep at least 97% test accuracy on the 28×28 digits (the check trains it for 8 epochs, about 10 s).",
        "hint": "Keep two convolutions with pooling after each, then Flatten and the fully connected layers. A "
        "network without convolutions, or one that shrinks the 28×28 image too fast, stays below 97%.",
    },
    "optimizers": {
        "title": "Optimizers: SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam",
        "text": """\
All six follow the gradient $g_t = \\nabla L(\\theta_t)$; they differ in what they remember.

- **SGD**: $\\theta \\leftarrow \\theta - \\eta g$. On a ravine (steep across, shallow along) it zig-zags
  across and crawls along.
- **Momentum**: $v \\leftarrow \\mu v + g$, $\\theta \\leftarrow \\theta - \\eta v$: a running sum of gradients,
  so consistent directions speed up and oscillations cancel.
- **Nesterov**: the same, with the gradient taken where the momentum is about to carry the weights.
- **AdaGrad**: $G \\leftarrow G + g^2$, $\\theta \\leftarrow \\theta - \\eta g / \\sqrt{G + \\epsilon}$: a
  per-weight rate that shrinks for often-updated weights (it can shrink to a stop).
- **RMSProp**: $G \\leftarrow \\rho G + (1 - \\rho) g^2$: AdaGrad with a forgetting average, so the rate does
  not vanish.
- **Adam**: momentum on $g$ ($m$) and RMSProp on $g^2$ ($v$), both bias-corrected:
  $\\theta \\leftarrow \\theta - \\eta \\, \\hat m / (\\sqrt{\\hat v} + \\epsilon)$.

The paths on the 2-D surfaces show the rules from one start with the same budget of steps. On your network the
check races all six (the Train page's *Compare optimizers*) for 5 epochs each at their usual learning rates.
""",
        "exercise": "Race the six optimizers on your network (the check does it, 5 epochs each). Momentum, Nesterov "
        "and Adam must each end with a lower validation loss than plain SGD. Then, on the ravine surface, find a "
        "learning rate at which plain SGD gets as close to the minimum as Momentum does.",
        "hint": "Plain SGD at lr 0.01 moves slowly; the momentum methods and Adam should beat it on any network "
        "that trains at all. If they do not, your network may not train: check it on the Train page first.",
    },
}
