export default function OrgUnitsPage() { return null; }
