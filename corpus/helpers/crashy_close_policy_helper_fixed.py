#!/usr/bin/python3
# crashy_close_policy_helper_fixed.py - crashy_close_policy_helper.py with
# its bug fixed: values are read as bytes, so a value that is not UTF-8 is
# answered like any other. Takes the same options (--listen PATH, --die).
import os
import sys

helper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crashy_close_policy_helper.py")
os.execv(sys.executable, [sys.executable, helper, "--fixed"] + sys.argv[1:])
