"""Streamlit-only widgets. The library (builder/) never imports streamlit; pages compose these widgets."""
