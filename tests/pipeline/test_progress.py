import io

from pipelines.progress import TerminalProgress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_one_line_and_ends_it():
    stream = FakeTerminal()
    progress = TerminalProgress("parsing returns", stream=stream, width=10)
    progress(100, 400)
    progress(400, 400)
    assert (
        stream.getvalue() == "\rparsing returns [##--------] 100/400\rparsing returns [##########] 400/400\n"
    )


def test_progress_is_silent_when_not_a_terminal():
    stream = io.StringIO()
    TerminalProgress("parsing returns", stream=stream)(1, 2)
    assert stream.getvalue() == ""
