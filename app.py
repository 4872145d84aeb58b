"""LayerLoom — a visual neural-network builder. Router only (ui/router.py): the pages live in pages/.

Run: streamlit run app.py
"""

from ui.router import main

main()
