"""Streamlit UI layer: the only code that imports streamlit."""
