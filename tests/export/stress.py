"""Designs that stress the code layout: long ids, many-input merges, several inputs and outputs."""

from builder import Design, Edge, Node

LONG = "a_very_long_node_identifier_that_goes_on_and_on"


def wide_design() -> Design:
    """Long names everywhere: exploded constructor calls, concats, adds, attention, returns and signatures."""
    nodes = [Node(f"{LONG}_input_{i}", "Input", {"shape": [12, 32]}) for i in range(3)]
    edges = []

    def add(nid, type_name, sources, **params):
        nodes.append(Node(nid, type_name, params))
        edges.extend(Edge(s, nid, target_port=k) for k, s in enumerate(sources))
        return nid

    ins = [n.id for n in nodes]
    attn = add(f"{LONG}_attention", "MultiheadAttention", ins, num_heads=4, dropout=0.1, add_bias_kv=True)
    total = add(f"{LONG}_sum", "Add", [attn, *ins])
    enc = add(f"{LONG}_encoder", "TransformerEncoderLayer", [total], nhead=4, dim_feedforward=64,
              activation="gelu", norm_first=True, layer_norm_eps=1e-6)  # fmt: skip
    lstm = add(f"{LONG}_bilstm", "LSTM", [enc], hidden_size=16, bidirectional=True, return_sequences=False,
               num_layers=2, dropout=0.25)  # fmt: skip
    cat = add(f"{LONG}_concat", "Concat", [lstm, lstm, lstm, lstm], dim=1)
    feat = add(f"{LONG}_reshape", "Reshape", [cat], shape=[2, 8, 8])
    conv = add(f"{LONG}_conv", "Conv2d", [feat], out_channels=4, kernel_size=[3, 3], stride=[1, 1],
               padding="same", padding_mode="reflect", bias=False)  # fmt: skip
    up = add(f"{LONG}_upsample", "Upsample", [conv], scale_factor=2.0, mode="bilinear", align_corners=False)
    prod = add(f"{LONG}_gate", "Multiply", [up, up, up])
    flat = add(f"{LONG}_flatten", "Flatten", [prod])
    for k in range(3):
        add(f"{LONG}_output_{k}", "Output", [flat if k else lstm])
    return Design("a design name that is long enough to matter", nodes, edges, description="x " * 200)


def hostile_design() -> Design:
    ids = ["x\"); __import__('os').system('touch PWNED'); (\"", "a'''\n__import__('os').system('touch PWNED')\n'''",
           "class", "def", "None", "\\", "\n", "ünïcödé", "conv 1", "conv_1", "🙂", "import os", "x" * 300]  # fmt: skip
    nodes = [Node(ids[0], "Input", {"shape": [4]})]
    edges = []
    for i, nid in enumerate(ids[1:]):
        nodes.append(Node(nid, "Linear" if i % 2 else "ReLU", {"out_features": 4} if i % 2 else {}))
        edges.append(Edge(nodes[-2].id, nid))
    for out in ('out"""', "out'''", "out\\n"):
        nodes.append(Node(out, "Output"))
        edges.append(Edge(ids[-1], out))
    name = '"""\nimport os; os.system("touch PWNED")\n"""'
    return Design(name, nodes, edges, description='"""; __import__("os").system("touch PWNED") #\\ \x00 end"')
