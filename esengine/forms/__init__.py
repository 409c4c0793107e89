"""Command forms without Streamlit: what each command's form asks for, and the choices it offers.

``describe`` reads the pydantic command models (types, limits, help text, which fields name a stream);
``hints`` holds what a domain adds (which field names which stream type, how a picker labels streams);
``references`` lists the existing streams for select boxes; ``workshop`` holds the helpers of the
Commands page (a stream's state in words, a colleague's change, "again like this").
"""
from esengine.forms.describe import CommandForm, FieldSpec, describe_command, describe_commands, engine_forms
from esengine.forms.hints import FormHints, StreamPicker
from esengine.forms.references import Option, option_label, read_model_row, reference_options
from esengine.forms.workshop import (StreamSummary, can_change_as_colleague, colleague_change, command_of_event,
                                     stream_summary)

__all__ = ["CommandForm", "FieldSpec", "describe_command", "describe_commands", "engine_forms", "FormHints",
           "StreamPicker", "Option", "reference_options", "option_label", "read_model_row", "StreamSummary",
           "stream_summary", "can_change_as_colleague", "colleague_change", "command_of_event"]
