"""Command forms without Streamlit: what each command's form asks for, and the choices it offers.

``describe`` reads the pydantic command models (types, limits, help text, which fields name a
customer, product or order); ``references`` lists the existing ones for select boxes;
``workshop`` holds the helpers of the Commands page (a colleague's change, "again like this").
"""
from esengine.forms.describe import CommandForm, FieldSpec, describe_command, describe_commands
from esengine.forms.references import Option, reference_options, read_model_row
from esengine.forms.workshop import colleague_change, command_of_event, order_summary

__all__ = ["CommandForm", "FieldSpec", "describe_command", "describe_commands", "Option", "reference_options",
           "read_model_row", "colleague_change", "command_of_event", "order_summary"]
