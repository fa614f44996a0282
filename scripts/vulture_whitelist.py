# Names that vulture (make lint: `vulture ilslib notebooks scripts/vulture_whitelist.py`) takes for dead code
# but that are used from outside the scanned code: by a library or framework that calls or reads them, by
# the documentation's public API, or by the tests. Not executed; vulture only reads the names.
# Before adding a name, check it is really used: grep -rn NAME notebooks tests docs ilslib/templates.
# ruff: noqa: B018, F821

# -- attributes set for a library that reads them -----------------------------------------------------------
# openpyxl cells, sheets, data validations and workbook properties (report/excel.py, round/workbook.py)
_.alignment
_.allow_blank
_.border
_.creator
_.data_type
_.errorStyle
_.errorTitle
_.fitToHeight
_.fitToPage
_.fitToWidth
_.font
_.formatCells
_.formatColumns
_.formatRows
_.freeze_panes
_.language
_.orientation
_.print_title_rows
_.prompt
_.promptTitle
_.quotePrefix
_.sheet_state
_.showErrorMessage
_.showGridLines
_.showInputMessage
# decimal contexts (fmt.py, figures/compare.py); pyodbc connections and cursors (warehouse.py)
_.prec
_.autocommit
_.fast_executemany
# IPython's configuration and notebook outputs (report/engine.py)
_.enabled
_.hist_file
_.execution_count

# -- methods and class attributes that a framework calls or reads -----------------------------------------
# http.server (cli/serve.py): the refused methods and the server's banner
server_version
sys_version
do_CONNECT
do_DELETE
do_OPTIONS
do_PATCH
do_PUT
do_TRACE
_.list_directory
_.log_message
# IPython shell, display publisher and hook, papermill engine, io streams (report/engine.py)
_.writable
_.clear_output
_.start_displayhook
_.write_output_prompt
_.write_format_data
_.finish_displayhook
display_pub_class
displayhook_class
_._showtraceback
_.enable_gui
_.execute_managed_notebook
# Jupyter's rich display of a table or an Html block (report/model.py, report/present.py)
_._repr_html_
# matplotlib's Formatter.__call__(x, pos) and the overridden signatures above: parameters a caller passes
pos
transient
kwargs
gui
kernel_name

# -- dataclass fields kept as data ---------------------------------------------------------------------------
parent_id  # figures/orgs.py Organisation: part of the organisation record notebooks show
message_id  # round/mail.py Outcome: the Message-ID of a sent letter, for the caller

# -- public API that the documentation names, used by notebooks, studies and the tests ----------------------
generate  # demo.generate: the demo's tables without a warehouse (tests/test_demo.py)
tkr  # fmt.tkr (docs/figures.md)
status_symbol  # fmt.status_symbol (docs/figures.md)
latest_loads  # store.latest_loads: the loads with their files' checksums (docs/loading.md)
study_module  # notebooks.study_module: a study's own module (docs/notebooks.md)
KERNELSPEC  # notebooks.KERNELSPEC, PACKAGED_KERNEL(_PATH): the kernel the notebooks and the package name
PACKAGED_KERNEL
PACKAGED_KERNEL_PATH

# -- in the modules left to the runner split and the loader rework (the lead decides) -----------------------
MAX_ID  # load.py
load_frames  # load.py
_.readable  # readers.py: io.RawIOBase protocol
_.readinto  # readers.py: io.RawIOBase protocol
_.sheet_names  # readers.py
signum  # runner/batch.py: a signal handler's parameter
OUTPUT_FILES  # runner/job.py
mtime  # runner/job.py
_.listdir  # runner/job.py: papermill's I/O handler protocol
_.pretty_path  # runner/job.py: papermill's I/O handler protocol

# -- module hooks Python calls itself ----------------------------------------------------------------------
# ilslib/__init__.py: the package's lazily imported names (PEP 562)
__getattr__
__dir__
