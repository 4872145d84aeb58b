"""The selected node's form, built from its layer spec: numbers with ranges, choices, checkboxes, tuples."""

from __future__ import annotations

import json

import streamlit as st

from builder import REGISTRY
from builder.edit import Editor
from ui.text import code, md


def _widget(name: str, schema, value, key: str):
    d = schema.describe()
    kind, label, help_ = d["kind"], name, schema.help
    if isinstance(value, str) and value.startswith("$"):  # inside a block: the value of one of its parameters
        kind, help_ = "ref", f"{help_}. Here it is the block's parameter {value[1:]!r}: type a value, or $name."
    if kind == "bool":
        return st.checkbox(label, value=bool(value), help=help_, key=key)
    if kind == "choice":
        options = list(schema.choices)
        return st.selectbox(label, options, index=options.index(value) if value in options else 0, help=help_, key=key,
                            format_func=lambda v: "default (null)" if v is None else str(v))  # fmt: skip
    if kind in ("int", "float") and value is not None:
        cast = int if kind == "int" else float
        lo, hi = (None if d.get(b) is None else cast(d[b]) for b in ("min", "max"))
        return st.number_input(label, value=cast(value), min_value=lo, max_value=hi, step=1 if kind == "int" else None,
                               format=None if kind == "int" else "%g", help=help_, key=key)  # fmt: skip
    if kind == "ref":
        return _parse(st.text_input(label, value=value, help=help_, key=key))
    # tuples, shapes, optional numbers: JSON text ("3", "[3, 5]", "same", "null")
    return _parse(
        st.text_input(label, value=json.dumps(value), help=f"{help_} (JSON: a number, a list, or null)", key=key)
    )


def _parse(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text.strip().strip('"')  # a bare word such as same, or a block parameter such as $planes


def node_form(editor: Editor, key: str = "form") -> None:
    """Edit the selected node's id and params; applying revalidates at once."""
    nid = editor.selected
    node = next((n for n in editor.view.nodes if n.id == nid), None)
    if node is not None and node.type in editor.design.blocks:
        instance_form(editor, node, key)
        return
    inside = nid.split("/", 1)[0] if node is None and nid and "/" in nid else None
    if inside in editor.expanded:  # a layer drawn inside an instance expanded in place
        kind = editor.view.node(inside).type
        st.markdown(f"{code(nid)} · inside block **{md(kind)}**")
        st.caption("Drawn in place, read-only: enter the block to edit it (every instance changes).")
        if st.button("Enter block", key=f"{key}-{nid}-enter-inside", width="stretch"):
            editor.enter(kind)
            st.rerun()
        return
    if node is None or node.type not in REGISTRY:
        st.caption("Select a node on the canvas to edit it.")
        return
    spec = REGISTRY[node.type]
    st.markdown(f"**{md(node.type)}** {code(node.id)}")
    st.caption(spec.doc)
    with st.form(f"{key}-{nid}"):
        new_id = st.text_input("id", value=node.id, key=f"{key}-{nid}-id")
        values = {}
        for name, schema in spec.params.items():
            current = node.params.get(name, schema.default)
            values[name] = _widget(name, schema, current, f"{key}-{nid}-{name}")
        trainable = st.checkbox("trainable", value=node.trainable, key=f"{key}-{nid}-trainable",
                                help="off: the layer's weights stay as they are while training (fine-tuning a "
                                     "pretrained or imported design: freeze what it already knows)")  # fmt: skip
        if st.form_submit_button("Apply", type="primary"):
            params = {k: v for k, v in values.items() if k in node.params or v != spec.params[k].default}
            message = editor.apply({"action": "set_params", "id": nid, "params": params})
            if not message and trainable != node.trainable:
                message = editor.apply({"action": "set_trainable", "id": nid, "trainable": trainable})
            if not message and new_id != nid:
                message = editor.apply({"action": "rename", "id": nid, "new_id": new_id})
            if message:
                st.error(md(message))
            else:
                st.rerun()


def instance_form(editor: Editor, node, key: str = "form") -> None:
    """A block instance: its parameters and repeat count; enter its block, ungroup it, or rename the block."""
    block = editor.design.blocks[node.type]
    st.markdown(f"**{md(node.type)}** {code(node.id)} · block instance")
    layers = len(block.nodes) - len(block.input_ids) - len(block.output_ids)
    st.caption(f"{md(block.description) + ' ' if block.description else ''}{layers} layers; editing the block "
               "changes every instance.")  # fmt: skip
    with st.form(f"{key}-{node.id}-instance"):
        values = {}
        for name, default in block.params.items():
            text = st.text_input(name, value=json.dumps(node.params.get(name, default)), key=f"{key}-{node.id}-p-{name}",
                                 help=f"The block's parameter {name!r} (default {json.dumps(default)}), JSON.")  # fmt: skip
            values[name] = _parse(text)
        repeat = st.number_input("repeat", min_value=0, max_value=1024, value=node.repeat or 0, step=1,
                                 key=f"{key}-{node.id}-repeat",
                                 help="Chain this many instances, each one's output into the next (0: one instance, "
                                      "not repeated). The unrolled chain's shapes are checked at once.")  # fmt: skip
        trainable = st.checkbox("trainable", value=node.trainable, key=f"{key}-{node.id}-trainable",
                                help="off: every layer in this instance keeps its weights while training")  # fmt: skip
        if st.form_submit_button("Apply", type="primary"):
            params = {k: v for k, v in values.items() if k in node.params or v != block.params[k]}
            message = editor.apply({"action": "set_params", "id": node.id, "params": params})
            if not message and (repeat or None) != node.repeat:
                message = editor.apply({"action": "set_repeat", "id": node.id, "repeat": int(repeat) or None})
            if not message and trainable != node.trainable:
                message = editor.apply({"action": "set_trainable", "id": node.id, "trainable": trainable})
            if message:
                st.error(md(message))
            else:
                st.rerun()
    if st.button("Enter block", key=f"{key}-{node.id}-enter", width="stretch", help="Edit the block's own graph"):
        editor.enter(node.type)
        st.rerun()
    if st.button("Ungroup", key=f"{key}-{node.id}-ungroup", width="stretch",
                help="Replace this instance by the block's layers (Ctrl+Shift+G)"):  # fmt: skip
        message = editor.apply({"action": "ungroup", "id": node.id})
        if message:
            st.error(md(message))
        else:
            st.rerun()
    with st.form(f"{key}-{node.id}-rename-block"):
        new = st.text_input("block name", value=node.type, key=f"{key}-{node.id}-block-name")
        if st.form_submit_button("Rename block") and new != node.type:
            message = editor.apply({"action": "rename_block", "name": node.type, "new_name": new})
            if message:
                st.error(md(message))
            else:
                st.rerun()


def block_params_form(editor: Editor) -> None:
    """The entered block's parameters and their defaults, as JSON; its nodes refer to them as "$name"."""
    block = editor.design.blocks[editor.block]
    with st.form(f"block-params-{editor.block}"):
        text = st.text_area("parameters (JSON: name → default)", value=json.dumps(block.params), height=80,
                            help='Inside the block, a parameter value "$name" is the instance\'s value of name.')  # fmt: skip
        if st.form_submit_button("Apply"):
            try:
                params = json.loads(text)
            except json.JSONDecodeError as e:
                st.error(f"Not JSON: {e.msg} at column {e.colno}.")
                return
            message = editor.apply({"action": "set_block_params", "params": params})
            if message:
                st.error(md(message))
            else:
                st.rerun()
