"""Feedback to the focal points (feedback.md, feedback.xlsx per submission) and the run's HTML report."""

from pipelines.feedback.step import FeedbackReport, feedback_folder, write_feedback

__all__ = ["FeedbackReport", "feedback_folder", "write_feedback"]
