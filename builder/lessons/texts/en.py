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
    "recurrent": {
        "title": "RNN, LSTM, GRU and BiLSTM",
        "text": """\
A **recurrent network** reads a sequence one step at a time and keeps a hidden state:
$h_t = \\tanh(W h_{t-1} + U x_t + b)$. The gradient that tells an early step how it affected the answer is
multiplied by $W^\\top \\mathrm{diag}(\\tanh'(\\cdot))$ once per step in between, so over a long span it
vanishes (or explodes): a plain RNN forgets.

The **LSTM** (Hochreiter & Schmidhuber, 1997) adds a cell state updated additively, through gates (sigmoids between
0 and 1): the forget gate $f_t$ says what to keep, the input gate $i_t$ what to write, the output gate $o_t$ what to
show: $c_t = f_t \\odot c_{t-1} + i_t \\odot \\tanh(W_c [h_{t-1}, x_t])$, $h_t = o_t \\odot \\tanh(c_t)$.
While $f_t \\approx 1$ the value and its gradient pass unchanged. The **GRU** merges the gates into an update
gate $z_t$ and a reset gate $r_t$, with fewer parameters. A **BiLSTM** runs one LSTM forwards and one backwards and
joins their states: each position sees its whole context (for a sequence known in advance).

The **adding problem** is the classic test: 30 steps of (value, marker); the answer is the sum of the two marked
values, one of them in the first half. Open the gates view of the LSTM (Visualize → *Gates*): the input gate opens
at the marked steps.
""",
        "exercise": "The RNN on the adding problem predicts the average whatever the input (test R² ≈ 0). Replace its "
        "RNN layer by an LSTM (or a GRU) with the same hidden size and reach a test R² of at least 0.9 (the check "
        "trains it 12 epochs with Adam at lr 0.01, about 5 s).",
        "hint": "Select the node 'rnn' and change its type: delete it, add an LSTM (hidden_size 32, "
        "return_sequences off) in its place and wire x → LSTM → fc. A plain RNN cannot carry the first value across "
        "30 steps.",
    },
    "metrics": {
        "title": "Metrics: accuracy, precision, recall, F1; MAE and RMSE",
        "text": """\
For a class, count the true positives $TP$ (found and right), false positives $FP$ (found but wrong) and false
negatives $FN$ (missed). **Precision** $= TP / (TP + FP)$: of what was flagged, how much was right.
**Recall** $= TP / (TP + FN)$: of what was there, how much was found. **F1** $= 2PR / (P + R)$, their harmonic
mean: high only when both are. LayerLoom reports their **macro** average (each class counts the same);
**accuracy** is just the share of right answers, $(TP + TN) / N$.

On an **imbalanced** set accuracy misleads: with 5% rare points, answering "common" every time scores 95%. The
rare-class set shows it: a linear classifier cannot cut a disc out of the plane, so it gives up on the rare class
— 95% accuracy, recall 0 on the rare class, macro F1 ≈ 0.49. Open the run's confusion matrix (Train → results).

For regression, **MAE** $= \\frac1n \\sum |y - \\hat y|$ and **RMSE**
$= \\sqrt{\\frac1n \\sum (y - \\hat y)^2}$ are in the target's units. RMSE squares before averaging, so a
few large errors (outliers) dominate it: the chart adds large errors one by one to 200 good predictions. Train
with the L1 loss (*loss* l1) when outliers should not steer the model, MSE when large errors are the ones to avoid.
""",
        "exercise": "The linear classifier scores 95% accuracy on the rare-class set — and the check still fails it. "
        "Make a model that finds the rare class: at least 0.8 recall on it and 0.8 macro F1, keeping 95% accuracy "
        "(a hidden layer of Tanh units is enough).",
        "hint": "Accuracy is not the problem: the rare class is never predicted (look at the per-class table). One "
        "straight line cannot enclose the disc: add a hidden Linear layer (16 units) with Tanh before the output.",
    },
    "autoencoders": {
        "title": "Autoencoders: AE, denoising AE, VAE",
        "text": """\
An **autoencoder** is trained to give back its input: an encoder squeezes the image into a short **code**
$z = f(x)$, a decoder rebuilds it, $\\hat x = g(z)$, and the loss is the reconstruction error
$\\lVert x - \\hat x \\rVert^2$. No labels are needed: the narrow code (the **bottleneck**) forces it to keep
only what matters most about the data.

A **denoising autoencoder** sees a corrupted input ($x + \\epsilon$, Gaussian noise here) but must rebuild the
clean one, so it learns what images look like rather than copying pixels. A **variational autoencoder** encodes each
image as a distribution — a mean $\\mu$ and a log-variance — samples $z = \\mu + \\sigma \\odot \\epsilon$, and
adds to the loss the divergence from a standard normal,
$\\mathrm{KL} = -\\tfrac12 \\sum (1 + \\log\\sigma^2 - \\mu^2 - \\sigma^2)$, so every point of the code space
decodes to a plausible image: it can **generate** new ones.

With a code of only 2 numbers each image becomes a point in the plane: the check draws your trained encoder's codes
of 1,000 test digits, coloured by the digit they show — a label the network never saw.
""",
        "exercise": "The autoencoder describes a digit with 16 numbers. Squeeze its code to 2 and keep the "
        "reconstruction error at most 0.038 (the mean image's is 0.047). Then look at the latent space the check "
        "draws.",
        "hint": "Set the code Linear's out_features to 2. If the error stays high, look at what follows the code: a "
        "ReLU zeroes every negative coordinate, so a 2-number code loses most of its plane — remove code_relu and "
        "connect code straight to dec1.",
    },
    "gans": {
        "title": "GANs: the 2-D ring, then DCGAN on digits",
        "text": """\
A **generative adversarial network** (Goodfellow et al., 2014) trains two networks against each other. The
**generator** $G$ turns random noise $z$ into a sample; the **discriminator** $D$ says how likely a sample is real.
$D$ is trained to tell real from generated, $G$ to fool it:
$\\min_G \\max_D \\; \\mathbb{E}_x[\\log D(x)] + \\mathbb{E}_z[\\log(1 - D(G(z)))]$ (LayerLoom trains $G$ with
the usual non-saturating loss, $-\\log D(G(z))$).

The **ring** — eight tight clusters on a circle, as in GAN Lab — shows the classic failure, **mode collapse**: the
generator finds a few clusters that fool the discriminator and puts all its samples there. In Visualize → *GAN
samples* the background is the discriminator's belief that a point is real; the orange points are the generator's.
The check samples 2,000 points from your trained generator and counts the clusters it covers.

**DCGAN** (Radford et al., 2015) is the same game on images: a generator of transposed convolutions with
BatchNorm and ReLU, a discriminator of strided convolutions with LeakyReLU, Adam with $\\beta_1 = 0.5$. Open the
DCGAN template and train it on the digits (a few minutes on a CPU) to watch digits appear from noise.
""",
        "exercise": "The ring GAN with a small generator (8 units per layer) smears its points along the ring and "
        "misses clusters. Change the generator so the GAN covers at least 7 of the 8 modes, with at least 30% of "
        "its samples close to a mode (the check trains it 30 epochs, about 5 s).",
        "hint": "Open the generator network and give its hidden Linear layers (fc1, fc2) more units — 64 each: a "
        "ReLU network with few units has too few linear pieces to fold the noise onto eight separate clusters.",
    },
    "cnn_family": {
        "title": "The CNN family: AlexNet, VGG, GoogLeNet, ResNet, DenseNet",
        "text": """\
Ten years of ImageNet winners, each with one idea (open any of them: their parameter counts are torchvision's):

- **AlexNet** (2012): large early kernels (11×11, stride 4), ReLU instead of tanh, dropout, overlapping max pooling.
- **VGG** (2014): only 3×3 convolutions — two stacked see a 5×5 window with fewer weights ($2 \\cdot 9C^2$ against
  $25C^2$) — in blocks that halve the size and double the channels. Simple, deep and heavy.
- **GoogLeNet / Inception** (2014): 1×1, 3×3 and 5×5 branches side by side, concatenated, with 1×1 convolutions to
  shrink the channels first: wide and cheap.
- **ResNet** (2015): **residual connections**, $y = F(x) + x$. Stacking more plain layers made even the *training*
  error worse (the degradation problem); with shortcuts each block only learns a correction to the identity, and
  152 layers train.
- **DenseNet** (2017): each layer receives the concatenation of all earlier feature maps in its block: features are
  reused, so each layer can be thin.
- **MobileNetV2** (2018): depthwise-separable convolutions in inverted residual blocks: a fraction of the cost.

The chart compares size and cost per image. The check reproduces ResNet's observation on a small scale: fifteen
3×3 convolutions trained with plain SGD on the 8×8 digits.
""",
        "exercise": "The plain 15-layer CNN does not learn in 6 epochs of SGD (it stays at chance, ~10%). Make it train "
        "without removing layers: reach 90% validation accuracy (the check takes about 5 s).",
        "hint": "Add shortcuts: after each pair of convolutions, an Add of the pair's input and its output (then the "
        "ReLU) — as in the residual CNN. BatchNorm2d after each convolution also helps.",
    },
    "embeddings": {
        "title": "Embeddings and TextCNN",
        "text": """\
A network reads numbers, so text is first cut into tokens and each token is given an id. An **embedding** is a
table of learned vectors, one row per id: $e_w = E[w]$, with $E \\in \\mathbb{R}^{V \\times d}$. It is trained
with the rest of the network, so words that play the same part end up with similar vectors — measured by the
cosine similarity $\\cos(u, v) = u \\cdot v / (\\lVert u \\rVert \\lVert v \\rVert)$. Visualize →
*Embeddings* projects them on their two main directions.

The reviews here are generated by a small grammar ("the plot was not very dull but the music was awful"): each
adjective has a polarity, *not* flips it and an intensifier doubles it. A **bag of word vectors** — the average of
the sentence's embeddings — learns the polarities but forgets order: "not good" averages to nearly "good".

**TextCNN** (Kim, 2014) slides 1-D convolutions of widths 3, 4 and 5 over the sequence of vectors: each filter is an
n-gram detector ("not very good"), max-over-time pooling keeps its best match anywhere in the sentence, and a
linear layer reads the matches. The check trains your model and lists the nearest words to a few probes.
""",
        "exercise": "The bag of word vectors stops near 70% test accuracy: averaging cannot see negation. Reach 90% with "
        "a model that still starts from an Embedding — for example, replace the averaging by Conv1d filters of "
        "width 3 with max pooling over time (TextCNN).",
        "hint": "After the Embedding and the Permute, add Conv1d (out_channels 32, kernel_size 3) → ReLU → "
        "AdaptiveMaxPool1d (output_size 1) → Flatten before the Linear: a width-3 filter sees 'not very good' at once.",
    },
    "attention": {
        "title": "Attention and self-attention",
        "text": """\
**Attention** lets each position of a sequence gather information from every other position, weighted by
relevance. Each position's vector is projected three ways: a **query** $q$ (what it is looking for), a **key** $k$
(what it offers) and a **value** $v$ (what it passes on). The weights are a softmax of query–key similarities,
scaled by $\\sqrt{d_k}$, and the output mixes the values:
$\\mathrm{Attention}(Q, K, V) = \\mathrm{softmax}\\!\\left(QK^\\top / \\sqrt{d_k}\\right) V$. Every row of the
weight matrix sums to 1: row $i$ says where position $i$ looks.

In **self-attention** $Q$, $K$ and $V$ all come from the same sequence. **Multi-head** attention runs several of
these side by side on smaller projections ($h$ heads of $d/h$ features), so different heads can look for different
things, and concatenates their outputs. Attention itself ignores order — it compares contents — so Transformers add
a **positional encoding** to each token vector, e.g. sinusoids $PE_{t,2i} = \\sin(t / 10000^{2i/d})$.

The task: output a sequence of 10 tokens reversed. The right answer at position $t$ is the token at position
$9 - t$, so a network that solves it should attend along the anti-diagonal — Visualize → *Attention* shows each
head's weights.
""",
        "exercise": "The attention network without positions cannot reverse a sequence (about 30% of tokens right). "
        "Give it positional information and reach 95% of tokens right, with one head putting at least half of its "
        "attention on the mirror position (the check trains it 10 epochs, a few seconds).",
        "hint": "Insert a PositionalEncoding layer between the Embedding and the MultiheadAttention (and keep the "
        "residual Add fed by the same vectors): without it two equal tokens at different positions are "
        "indistinguishable to attention.",
    },
    "segmentation": {
        "title": "Encoder–decoder networks and segmentation",
        "text": """\
**Segmentation** labels every pixel: here, is it part of a shape or background? The output is an image of scores
the size of the input, and the loss is the classification loss averaged over pixels. A score per pixel is judged
by the **intersection over union** of the predicted and the true masks,
$\\mathrm{IoU} = |P \\cap T| \\, / \\, |P \\cup T|$: 1 for a perfect mask, and — unlike pixel accuracy — near 0 for
a model that calls everything background, however small the shapes.

A pixel's own brightness is not enough: the lighting is uneven, so the background is as bright in places as a
shape is elsewhere (the best single threshold scores IoU ≈ 0.55). What tells them apart is the **context** — a
shape is brighter than its surroundings. An **encoder–decoder** gathers it: the encoder's convolutions and pooling
see ever larger windows at lower resolution, the decoder's transposed convolutions (stride 2) bring the resolution
back, and **skip connections** (U-Net, 2015) concatenate the encoder's sharp early features into the decoder so
the mask's edges stay crisp. A fully convolutional network (FCN) works at any image size.
""",
        "exercise": "The per-pixel classifier (1×1 convolutions) cannot use context and stays far below the target. "
        "Build a network that reaches a test IoU of at least 0.8 on the shape masks — an encoder–decoder with "
        "skip connections is the standard answer (the check trains it 8 epochs, about 10 s).",
        "hint": "Give each output pixel a view of its neighbourhood: 3×3 convolutions with MaxPool2d going down, "
        "ConvTranspose2d (kernel 2, stride 2) coming back up to 28×28, a Concat of the matching encoder features, and "
        "a 1×1 Conv2d with one output channel at the end.",
    },
    "recommendation": {
        "title": "Embeddings for recommendation",
        "text": """\
A recommender predicts how much a user will like an item from the ratings users have given so far — a huge,
mostly empty users × items table. **Matrix factorization** (the Netflix Prize, 2006–2009) explains every rating
by hidden tastes: user $u$ gets a vector $p_u$ and item $i$ a vector $q_i$ of $k$ numbers, and the predicted rating
is their dot product, $\\hat r_{ui} = p_u \\cdot q_i$. Both are **embeddings**, learned by gradient descent on the
squared error of the known ratings; nobody says what the $k$ tastes mean.

In the design: the Input holds (user id, item id) pairs; two Narrow layers take each column, two Embedding layers
look the vectors up, a Multiply and a Sum make the dot product. The ratings here were generated from 4 hidden tastes
per user and item, plus their biases and noise, so the best possible RMSE is about 0.3 stars.

An **item-popularity** model — one number per item — learns which items are liked in general but recommends the
same ones to everyone: it barely beats predicting the average rating.
""",
        "exercise": "The item-popularity model predicts about as well as the average rating (test RMSE ≈ 1.0 star). "
        "Personalise it: give users and items embeddings of several numbers and predict with their dot product, to "
        "reach a test RMSE of at most 0.6 stars (the check trains 20 epochs, about 5 s).",
        "hint": "Take the user id too: a Narrow (dim 1, start 0, length 1) from the Input, then an Embedding "
        "(num_embeddings 500, embedding_dim 8); set the item Embedding's embedding_dim to 8, Multiply the two and Sum "
        "over the last dim (dim -1) into the Output.",
    },
    "overfitting": {
        "title": "Overfitting and regularisation",
        "text": """\
A network with more weights than it has examples can learn the examples themselves — their noise included —
instead of the pattern behind them: the training loss keeps falling while the validation loss rises. That is
**overfitting**, and the distance between the two curves, the **generalization gap**, measures it. The overfitting
MLP has 17,000 weights for 105 noisy points; after 200 epochs its boundary curls around single points.

Each regulariser trades a little training fit for a smaller gap:

- **L2** (*weight_decay*): adds $\\lambda \\sum w^2$ to the loss, so weights shrink unless the data needs them.
- **L1** (*l1*): adds $\\lambda \\sum |w|$, which drives many weights to exactly zero (sparse weights).
- **Dropout** (a layer): in training each unit is zeroed with probability $p$ and the rest scaled by $1/(1-p)$;
  no unit can rely on another, like training many thinner networks at once.
- **Label smoothing** (*label_smoothing*): trains towards $1 - \\epsilon$ instead of 1, so the model stops pushing
  its confidence (and its weights) without end.
- **Input noise** and **augmentation** (*input_noise*; for images *augment_flip*, *augment_crop*): every epoch
  sees slightly different inputs, so memorising one is useless. For these 2-D points noise is the augmentation.
- **Early stopping** (*early_stopping*): keep the weights of the best validation epoch — LayerLoom's best
  checkpoint already is that; the check judges the model as trained to the end.

The check trains your design and the overfitting MLP with each setting, and compares the gaps.
""",
        "exercise": "Cure the overfitting MLP in its design: bring its gap (validation loss − training loss after 200 "
        "epochs) from about 3 down to at most 1.0 while keeping 80% validation accuracy. The check also shows how "
        "L2, L1, label smoothing and input noise shrink the gap (about 10 s).",
        "hint": "Add a Dropout layer (p 0.5) after each hidden ReLU, or a GaussianNoise layer on the input, or make "
        "the hidden layers much narrower (8 units): fewer effective weights, less to memorise.",
    },
}
