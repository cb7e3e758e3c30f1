import type { ImageRec } from './records';

/** The AppStream agent version reported as latest by the emulator. */
export const LATEST_AGENT_VERSION = '1.1.1620';

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

interface PublicSeed {
  name: string;
  platform: string;
  released: string;
  description: string;
  builderSupported?: boolean;
  families?: string[];
}

/**
 * Public base images every account sees in every region, named and dated like AWS's.
 * The Windows Server 2016 image is deprecated: AWS stops offering image builders on it
 * (ImageBuilderSupported false), which is how tools tell a deprecated base image apart.
 */
const PUBLIC_IMAGES: PublicSeed[] = [
  {
    name: 'AppStream-WinServer2016-12-12-2023',
    platform: 'WINDOWS_SERVER_2016',
    released: '2023-12-12',
    description: 'Deprecated: Windows Server 2016 base image, no longer supported for image builders',
    builderSupported: false,
  },
  {
    name: 'AppStream-WinServer2019-07-15-2025',
    platform: 'WINDOWS_SERVER_2019',
    released: '2025-07-15',
    description: 'Appstream 2.0 Base Image for Windows Server 2019',
  },
  {
    name: 'AppStream-WinServer2019-10-14-2025',
    platform: 'WINDOWS_SERVER_2019',
    released: '2025-10-14',
    description: 'Appstream 2.0 Base Image for Windows Server 2019',
  },
  {
    name: 'AppStream-WinServer2022-08-12-2025',
    platform: 'WINDOWS_SERVER_2022',
    released: '2025-08-12',
    description: 'Appstream 2.0 Base Image for Windows Server 2022',
  },
  {
    name: 'AppStream-WinServer2022-10-14-2025',
    platform: 'WINDOWS_SERVER_2022',
    released: '2025-10-14',
    description: 'Appstream 2.0 Base Image for Windows Server 2022',
    families: ['GENERAL_PURPOSE', 'MEMORY_OPTIMIZED', 'COMPUTE_OPTIMIZED', 'GRAPHICS_G4'],
  },
  // Graphics base images (AWS names them AppStream-Graphics-<family>-<OS>-<date>): newer than the
  // general ones, so a pick by platform alone would launch a stream.standard builder on them.
  {
    name: 'AppStream-Graphics-G4dn-WinServer2022-11-04-2025',
    platform: 'WINDOWS_SERVER_2022',
    released: '2025-11-04',
    description: 'Appstream 2.0 Graphics G4dn Base Image for Windows Server 2022',
    // AWS's documented spelling (CreateApplication InstanceFamilies: GENERAL_PURPOSE, GRAPHICS_G4).
    families: ['GRAPHICS_G4'],
  },
  {
    // No SupportedInstanceFamilies: only the name tells its family.
    name: 'AppStream-Graphics-Design-WinServer2019-11-03-2025',
    platform: 'WINDOWS_SERVER_2019',
    released: '2025-11-03',
    description: 'Appstream 2.0 Graphics Design Base Image for Windows Server 2019',
  },
  {
    name: 'AppStream-AmazonLinux2-09-21-2025',
    platform: 'AMAZON_LINUX2',
    released: '2025-09-21',
    description: 'Appstream 2.0 Base Image for Amazon Linux 2',
  },
  {
    name: 'Amazon-AppStream2-Sample-Image-06-17-2024',
    platform: 'WINDOWS_SERVER_2019',
    released: '2024-06-17',
    description: 'Appstream 2.0 Sample Image with sample applications',
  },
];

const SAMPLE_APPS = [
  {
    Name: 'Notepad++',
    AbsoluteAppPath: 'C:\\Program Files\\Notepad++\\notepad++.exe',
    DisplayName: 'Notepad++',
  },
  {
    Name: 'Firefox',
    AbsoluteAppPath: 'C:\\Program Files\\Mozilla Firefox\\firefox.exe',
    DisplayName: 'Firefox',
  },
];

export function publicImages(region: string): ImageRec[] {
  return PUBLIC_IMAGES.map((p) => ({
    name: p.name,
    arn: `arn:aws:appstream:${region}::image/${p.name}`,
    ownerAccount: '',
    visibility: 'PUBLIC',
    platform: p.platform,
    createdAt: day(p.released),
    publicReleaseDate: day(p.released),
    displayName: p.name,
    description: p.description,
    agentVersion: LATEST_AGENT_VERSION,
    applications: p.name.includes('Sample') ? SAMPLE_APPS : [],
    tags: {},
    permissions: {},
    builderSupported: p.builderSupported ?? true,
    errors: [],
    state: 'AVAILABLE',
    stateSince: day(p.released),
    ...(p.families ? { families: p.families } : {}),
  }));
}
