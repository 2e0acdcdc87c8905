from mediation.services.lookup import find_case
from workflows.vocabulary import CaseState


def test_a_case_built_through_the_services_reaches_the_written_dialogue(runtime, actors, make_case):
    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    with runtime.transaction() as session:
        case = find_case(session, actors.mediator, reference)
        assert case.state == CaseState.DIALOGUE_WRITTEN
        assert [p.consent for p in case.participants] == ["given", "given"]
