#!/usr/bin/python3
# crashy_policy_helper_fixed.py - crashy_policy_helper.py with its bug fixed:
# a sender longer than the buffer is rejected instead of overrunning it. The
# regression transcript `fake-smtpd fuzz` writes for the crash fails against
# crashy_policy_helper.py and passes against this one.
import os
import sys

helper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crashy_policy_helper.py")
os.execv(sys.executable, [sys.executable, helper, "--fixed"] + sys.argv[1:])
