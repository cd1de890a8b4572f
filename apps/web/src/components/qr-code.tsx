// A QR code drawn here as SVG from the qrcode library's module matrix: the TOTP secret never leaves the page
// (no image service, no data: URI, no innerHTML).
import QRCode from 'qrcode';

export function QrCode({ text, label }: { text: string; label: string }) {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = modules.size;
  let path = '';
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) if (modules.get(x, y)) path += `M${x + 4} ${y + 4}h1v1h-1z`;
  }
  const box = size + 8; // a quiet zone of four modules on each side
  return (
    <svg class="qr" viewBox={`0 0 ${box} ${box}`} role="img" aria-label={label} shape-rendering="crispEdges">
      <rect width={box} height={box} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
