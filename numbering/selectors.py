"""Reads shared by views. Every customer read is scoped by the organisation."""

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from numbering.models import BaseNumber, NetworkAddress, VoiceContract, VoiceGroup
from portal.models import Organisation


def voice_groups_for(*, organisation: Organisation) -> QuerySet[VoiceGroup]:
    return VoiceGroup.objects.filter(organisation=organisation).annotate(
        contract_count=Count("contracts", distinct=True)
    )


def voice_group_get(*, organisation: Organisation, group_id: str) -> VoiceGroup:
    return get_object_or_404(VoiceGroup, organisation=organisation, group_id=group_id)


def contracts_for(*, organisation: Organisation) -> QuerySet[VoiceContract]:
    return (
        VoiceContract.objects.filter(voice_group__organisation=organisation)
        .select_related("voice_group")
        .annotate(base_number_count=Count("base_numbers", distinct=True))
    )


def contract_get(*, organisation: Organisation, number: str) -> VoiceContract:
    return get_object_or_404(
        VoiceContract.objects.select_related("voice_group"),
        voice_group__organisation=organisation,
        number=number,
    )


def base_numbers_for_contract(*, contract: VoiceContract) -> QuerySet[BaseNumber]:
    return contract.base_numbers.annotate(dial_in_count=Count("dial_ins"))


def base_number_get(*, contract: VoiceContract, number: str) -> BaseNumber:
    return get_object_or_404(BaseNumber, contract=contract, number=number)


def network_addresses_for(*, contract: VoiceContract) -> QuerySet[NetworkAddress]:
    """0AJ利用拠点NWアドレス registered on the N番."""
    return NetworkAddress.objects.filter(contract=contract)


def base_numbers_of(*, contract: VoiceContract) -> QuerySet[BaseNumber]:
    """The N番's base numbers, plain (to choose from, to check against)."""
    return BaseNumber.objects.filter(contract=contract)
